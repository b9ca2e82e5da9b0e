"""The economist's probes of the whole model, side by side for four scenarios (not a speed benchmark).

    python benchmarks/model_probes.py OUT [REPS]      # REPS default 200, seed 1, 2 workers

For baseline, extension_90_days, no_deal and snap_back it runs (or reuses, if OUT already
holds them) a results folder and prints: China-to-US departures per month as a share of
the scenario's normal flow; auto plants ever slowed and ever halted (of 80); sector-days of
output lost; how often an auto plant halts before June; GDP lost by channel, cumulative and
as a level; the deadline outcome shares. Figures are not quoted in prose: they move with
the model.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

SCENARIOS = ("baseline", "extension_90_days", "no_deal", "snap_back")
MONTHS = ("apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
OUTCOMES = ("deal", "extension", "snap_back", "escalation")


def spread(table: pd.DataFrame, column: str) -> str:
    """Median and 90% interval of one outcome column."""
    values = table[column]
    return f"{values.median():.3g} ({values.quantile(0.05):.3g}-{values.quantile(0.95):.3g})"


def probe(folder: Path, scenario: str, reps: str) -> None:
    """Run one scenario if its folder is missing, then print its probes."""
    if not (folder / "outcomes.csv").exists():
        command = [sys.executable, "-m", "sim", "run", scenario, "--reps", reps, "--seed", "1"]
        command += ["--workers", "2", "--series", "none", "--no-plots", "-q", "--out", str(folder), "--force"]
        subprocess.run(command, check=True, capture_output=True)
    o = pd.read_csv(folder / "outcomes.csv")
    print(f"== {scenario}")
    shares = " ".join(f"{m}:{o[f'china_us_shipments_{m}'].median():.2f}" for m in MONTHS)
    print("  shipments, share of normal by month:", shares)
    print("  auto plants ever halted:", spread(o, "plants_ever_halted_auto"))
    print("  auto plants ever slowed:", spread(o, "plants_ever_slowed_auto"))
    lost = o[[c for c in o if c.startswith("lost_output_days_")]].sum(axis=1)
    print(f"  sector-days lost, all sectors: {lost.median():.1f}")
    print(f"  an auto plant halts before June: {100 * o['auto_halt_before_june'].mean():.0f}% of runs")
    for when in ("q3", "year_end"):
        for kind in ("loss", "level_loss"):
            channels = "  ".join(
                f"{name} {spread(o, f'gdp_{kind}_{when}{suffix}_pct')}"
                for name, suffix in (("total", ""), ("magnet", "_magnet"), ("tariff", "_tariff"))
            )
            print(f"  GDP {kind.replace('_', ' ')} {when}: {channels}")
    print("  deadline:", " ".join(f"{k}:{100 * o[f'deadline_{k}'].mean():.0f}%" for k in OUTCOMES))


if __name__ == "__main__":
    out = Path(sys.argv[1])
    reps = sys.argv[2] if len(sys.argv) > 2 else "200"
    for name in SCENARIOS:
        probe(out / name, name, reps)
