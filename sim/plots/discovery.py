"""The scenario-discovery chart: the coverage-density trade-off of PRIM and of the tree's leaves.

PRIM's peeling trajectory is a line from the whole space (every case, density at the base
rate) towards small dense boxes; the tree's leaves are points. The chosen boxes are ringed and
their density on the held-out replications drawn beside them with its interval, so a box that
is dense only where it was found shows as one whose interval reaches down to the base rate.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt

from sim.plots.charts import _save
from sim.plots.style import BLUE, GREY, ORANGE, RC, VERMILLION


def _holdout(ax: plt.Axes, box, colour: str, label: str) -> None:
    if box.holdout_size == 0:
        return
    x, y = 100 * box.coverage, 100 * box.holdout_density
    ax.errorbar(
        [x + 1.5],
        [y],
        yerr=[[y - 100 * box.holdout_low], [100 * box.holdout_high - y]],
        fmt="D",
        color=colour,
        markersize=9,
        capsize=6,
        linewidth=2,
        label=label,
    )


def discovery_tradeoff(found, path: Path | None, scenario: str) -> Path | None:
    """Coverage against density: PRIM's trajectory, the tree's leaves, the chosen boxes and their holdout."""
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(13, 8), layout="constrained")
        if found.prim_trajectory:
            ax.plot(
                [100 * b.coverage for b in found.prim_trajectory],
                [100 * b.density for b in found.prim_trajectory],
                "-o",
                color=ORANGE,
                markersize=4,
                linewidth=2,
                label="PRIM peeling trajectory (training runs)",
            )
        ax.scatter(
            [100 * b.coverage for b in found.boxes],
            [100 * b.density for b in found.boxes],
            s=90,
            color=BLUE,
            alpha=0.6,
            label="tree leaves (training runs)",
        )
        described = []
        for box, colour, name in ((found.prim, ORANGE, "PRIM"), (found.chosen, BLUE, "tree")):
            if box is None:
                continue
            ax.scatter(
                [100 * box.coverage],
                [100 * box.density],
                s=300,
                facecolor="none",
                edgecolor=colour,
                linewidths=3,
            )
            _holdout(ax, box, colour, f"{name} box on held-out runs (interval)")
            verdict = "no better than chance" if box.chance else "holds on held-out runs"
            rules = "; ".join(box.rules) or "(everything)"
            described.append(f"{name} ({verdict}): " + textwrap.shorten(rules, 150))
        base = 100 * found.cases / found.total
        ax.axhline(base, color=GREY, linestyle="--", linewidth=1.2)
        ax.text(2, base + 1, "base rate: share of cases in all runs", va="bottom", fontsize=12, color=GREY)
        if described:
            ax.text(
                0.02,
                0.97,
                "\n".join(textwrap.fill(d, 95) for d in described),
                transform=ax.transAxes,
                fontsize=11,
                va="top",
                bbox={"facecolor": "white", "edgecolor": GREY, "alpha": 0.9},
            )
        ax.set_xlim(0, 105)
        ax.set_ylim(0, 130)
        ax.set_yticks(range(0, 101, 20))
        ax.set_xlabel("Coverage: % of all cases of interest inside the box")
        ax.set_ylabel("Density: % of the box's runs that are cases")
        ax.set_title(
            textwrap.shorten(f"Where does it happen? {found.condition}", 90)
            + f"\n{textwrap.shorten(scenario, 60)}: {found.cases} cases in {found.total} replications, "
            f"{found.holdout} held out",
            color=VERMILLION if found.prim is not None and found.prim.chance else "black",
        )
        fig.legend(loc="outside lower center", ncol=2, frameon=False, fontsize=12)
        ax.grid(alpha=0.3)
        _save(fig, path)
    return path
