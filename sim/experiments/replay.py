"""Re-running one replication from a saved results folder, and telling its story.

A results folder's manifest holds the scenario as resolved, the master seed
and the package version: enough to rebuild any replication exactly (same
parameters, same random streams). :func:`replay` does so and checks that the
scalar outcomes match the saved row; :func:`event_log` lists what happened, by
date: policy events, decisions at talks and deadlines, tariff changes, the
court ruling, plants halting and coming back, the price peak.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.core.domain import SECTORS
from sim.model.replication import Replication, simulate
from sim.results.folder import ResultsError, read_results, scenario_from_manifest
from sim.results.kinds import expect


@dataclass
class Replayed:
    """One replication rebuilt from a results folder."""

    model: Replication
    rep: int
    master_seed: int
    saved: dict[str, str]  # the saved outcomes row (as written)
    mismatches: list[str]  # outcomes whose recomputed value differs from the saved one


def replay(folder: Path, rep: int, member: str | None = None) -> Replayed:
    """Rebuild replication ``rep`` of a results folder and check it against the saved outcomes.

    In a comparison or branches folder, ``member`` names the scenario or branch to replay.
    """
    import csv

    found = expect(Path(folder), "replay", "run", "comparison", "branches")
    folder = found.folder
    members = found.members()
    if members:
        what = "scenario" if found.name == "comparison" else "branch"
        if member is None or member not in members:
            said = f"no {what} {member!r}" if member is not None else f"say which {what}"
            raise ResultsError(f"{folder}: {found.kind.words}; {said}: --scenario {' | '.join(members)}")
        folder = members[member]
    elif member is not None:
        raise ResultsError(f"{folder}: {found.kind.words}, with one scenario: drop --scenario")
    results = read_results(folder)
    manifest = results.manifest
    reps = set(results.outcomes["rep"].astype(int).tolist())
    if rep not in reps:
        raise ResultsError(f"{folder}: no replication {rep} (this folder has {min(reps)}-{max(reps)})")
    spec = scenario_from_manifest(manifest)
    seed = int(manifest["master_seed"])
    model, _ = simulate(spec, seed, rep)
    with (folder / "outcomes.csv").open(newline="") as fh:
        saved = next(row for row in csv.DictReader(fh) if int(row["rep"]) == rep)
    from sim.results.folder import outcome_cell

    mismatches = []
    for name, value in model.outcomes().items():
        cell = outcome_cell(name, value, model.clock)
        written = saved.get(name)
        if written is None:
            continue
        if isinstance(cell, float) and written != "":
            if not math.isclose(cell, float(written), rel_tol=1e-9, abs_tol=1e-9):
                mismatches.append(name)
        elif str(cell) != written:
            mismatches.append(name)
    return Replayed(model=model, rep=rep, master_seed=seed, saved=saved, mismatches=mismatches)


@dataclass(frozen=True)
class Event:
    date: dt.date
    subsystem: str
    text: str


def event_log(model: Replication) -> list[Event]:
    """What happened in one replication, in date order."""
    clock = model.clock
    events: list[Event] = []

    def add(day: int, subsystem: str, text: str) -> None:
        if 0 <= day < clock.n_days:
            events.append(Event(clock.date(day), subsystem, text))

    p = model.params
    add(
        clock.day(p.licensing.controls_start),
        "licensing",
        "export controls take effect: every file needs a licence",
    )
    for name, ev in p.licensing.timeline.items():
        changes = [k for k, v in ev.items() if k not in ("date", "label") and v is not None]
        what = ", ".join(changes) or "no change"
        add(clock.day(ev.date), "licensing", f"{ev.get('label') or name}: {what}")
    if not model.us_side:
        return sorted(events, key=lambda e: e.date)

    for label, series in (
        ("US tariff on China", model.tariffs.us),
        ("China tariff on US", model.tariffs.china),
    ):
        add(0, "tariffs", f"{label} {series[0]:.0f}%")
        for day in np.flatnonzero(np.diff(series)) + 1:
            add(int(day), "tariffs", f"{label} {series[day - 1]:.0f}% -> {series[day]:.0f}%")
    if model.tariffs.state.struck_down:
        add(clock.day(p.tariffs.court_ruling.date), "tariffs", "court strikes the emergency tariffs")
    elif p.tariffs.get("court_ruling") and clock.day(p.tariffs.court_ruling.date) < clock.n_days:
        add(clock.day(p.tariffs.court_ruling.date), "tariffs", "court upholds the emergency tariffs")

    for d in model.negotiation.decisions:
        day = d.day - 1 if d.kind == "deadline" else d.day
        text = f"{d.name}: US {d.us}s, China {d.china}s"
        if d.outcome:
            text += f" -> {d.outcome.replace('_', '-')} (effective next day)"
        add(day, "negotiation", text)
    chip = model.negotiation.chip
    for day in np.flatnonzero(np.diff(chip)) + 1:
        add(int(day), "negotiation", "US chip controls " + ("imposed" if chip[day] else "lifted"))

    ind = model.industry
    for i, sector in enumerate(SECTORS):
        halted = ind.halted[:, i]
        if not halted.any():
            continue
        first = int(np.argmax(halted > 0))
        add(first, "industry", f"first {sector} plant halts")
        peak = int(np.argmax(halted))
        add(
            peak,
            "industry",
            f"{sector}: {halted[peak]} of {ind.plants_per_sector[i]} plants halted (the most)",
        )
        last = int(np.flatnonzero(halted)[-1])
        if last + 1 < clock.n_days:
            add(last + 1, "industry", f"{sector}: every plant running again")

    price = model.market.price
    if price.max() > 100.0:
        peak = int(np.argmax(price))
        add(peak, "market", f"magnet price peaks at {price[peak]:.0f} (pre-crisis 100)")
    gdp = model.macro.series()["gdp_loss"]
    add(clock.n_days - 1, "macro", f"GDP lost so far: {gdp[-1]:.2f}% of annual GDP")
    return sorted(events, key=lambda e: (e.date, e.subsystem))


def manifest_of(folder: Path) -> dict:
    """A results folder's manifest (:class:`ResultsError` if it is missing or damaged)."""
    from sim.results.safe_io import load_manifest

    return load_manifest(Path(folder) / "manifest.json")
