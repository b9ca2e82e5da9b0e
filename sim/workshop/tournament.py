"""Many games at once: an Axelrod-style tournament of strategies, and a saved game over many replications.

Tournament: every US strategy plays every China strategy in replications
0..N-1 of one scenario. Replication *r* of every pairing shares its parameter
draws and the model's random streams (common random numbers), and each side's
strategy draws from its own stream, so the difference between two pairings is
the strategies, not luck. Each side is ranked on its own outcomes averaged over
all its games (every opponent, every replication): the US on GDP lost by
year-end and on its mean pain, China on its mean pain. Lower is better.

A tournament folder holds ``games.csv`` (one row per game: the pairing, the
replication and its outcomes), ``ranking.csv`` (per side and strategy: the mean
with a 90% interval, and the rank), ``manifest.json`` and ``tournament.png``.
The ranking is computed from exactly the numbers written to ``games.csv``.

A saved game over many replications (``tradesim compare baseline my.game.toml``):
the game's moves are fixed, played on the game's own turn dates; the
parameter draws and every random stream vary with the replication, exactly as
for a scenario, so the game sits beside scenarios on common random numbers.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from sim.core.clock import Clock
from sim.core.domain import DEADLINE_OUTCOMES
from sim.core.replication_result import ReplicationResult
from sim.core.version import __version__
from sim.experiments.run import executor, key_dates
from sim.results.folder import ResultsWriter, base_manifest, write_json_atomic
from sim.results.safe_io import atomic_text
from sim.scenario.loader import LoadedScenario, load_scenario
from sim.scenario.schema import Scenario
from sim.workshop.game import DEFAULT_EVERY_DAYS, DEFAULT_START, Game, describe_turn, play
from sim.workshop.records import GameRecord, is_game_file, load_game, load_record_scenario, replay_game
from sim.workshop.strategies import STRATEGIES, make_strategy

#: What each side is ranked on (lower is better), with units.
RANKED_ON: dict[str, dict[str, str]] = {
    "us": {"gdp_loss_year_end_pct": "% of annual US GDP", "us_pain_mean": "$bn a month at risk"},
    "china": {"china_pain_mean": "$bn a month at risk"},
}
GAME_COLUMNS = (
    "gdp_loss_year_end_pct",
    "us_pain_mean",
    "china_pain_mean",
    "halted_plant_days",
    "price_index_at_end",
    "deadline_deal",
)
Z90 = 1.6448536269514722


@dataclass
class TournamentReport:
    """A finished tournament: its folder and its two tables as rows."""

    folder: Path
    games: list[dict]
    ranking: list[dict]


def play_pairing(
    spec: Scenario, seed: int, us: str, china: str, reps: list[int], start, every_days: int
) -> list[dict]:
    """Play one US strategy against one China strategy in the given replications."""
    rows = []
    for rep in reps:
        game = Game(spec, seed, rep, start, every_days)
        params = game.model.params
        result = play(
            game,
            make_strategy(us, "us", params, game.streams),
            make_strategy(china, "china", params, game.streams),
        )
        first = next((d for d in game.model.negotiation.decisions if d.kind == "deadline"), None)
        row = {"us_strategy": us, "china_strategy": china, "rep": rep}
        row |= {name: result.game_outcomes()[name] for name in GAME_COLUMNS}
        row["deadline_outcome"] = first.outcome if first else ""
        rows.append(row)
    return rows


def rank(games: list[dict]) -> list[dict]:
    """Per side and strategy: mean of each ranked outcome over its games, a 90% interval, the rank.

    The interval is a normal one over replications, each replication's value being
    the strategy's mean over its opponents there (common random numbers make the
    games of one replication dependent).
    """
    rows = []
    for side, measures in RANKED_ON.items():
        column = f"{side}_strategy"
        names = sorted({g[column] for g in games})
        for measure, unit in measures.items():
            stats = []
            for name in names:
                mine = [g for g in games if g[column] == name]
                # games of one replication share its luck: average over opponents first, so the
                # interval is over independent replications
                reps = sorted({g["rep"] for g in mine})
                x = np.array([np.mean([g[measure] for g in mine if g["rep"] == r]) for r in reps])
                mean = float(x.mean())
                half = Z90 * float(x.std(ddof=1)) / math.sqrt(x.size) if x.size > 1 else math.nan
                stats.append((name, len(mine), mean, mean - half, mean + half))
            order = sorted(stats, key=lambda s: (s[2], s[0]))
            for position, (name, n, mean, low, high) in enumerate(order, start=1):
                rows.append(
                    {
                        "side": side,
                        "measure": measure,
                        "unit": unit,
                        "rank": position,
                        "strategy": name,
                        "games": n,
                        "mean": mean,
                        "low": low,
                        "high": high,
                    }
                )
    return rows


def run_tournament(
    scenario: LoadedScenario,
    reps: int,
    seed: int,
    out: Path,
    workers: int = 1,
    strategies: tuple[str, ...] = STRATEGIES,
    start=DEFAULT_START,
    every_days: int = DEFAULT_EVERY_DAYS,
    progress: Callable[[int], None] | None = None,
) -> TournamentReport:
    """Play every pairing of ``strategies`` over ``reps`` replications; write and return the tables."""
    if reps < 2:
        raise ValueError(f"reps (={reps}) must be >= 2 for an interval")
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown:
        raise ValueError(f"unknown strategy {unknown[0]!r} (allowed: {', '.join(STRATEGIES)})")
    pairings = [(us, china) for us in strategies for china in strategies]
    spec = scenario.spec
    games: list[dict] = []
    if workers == 1:
        for us, china in pairings:
            games += play_pairing(spec, seed, us, china, list(range(reps)), start, every_days)
            if progress:
                progress(reps)
    else:
        with executor(workers) as pool:
            futures = [
                pool.submit(play_pairing, spec, seed, us, china, list(range(reps)), start, every_days)
                for us, china in pairings
            ]
            for future in futures:  # in pairing order, whatever finishes first
                games += future.result()
                if progress:
                    progress(reps)
    ranking = rank(games)
    out.mkdir(parents=True, exist_ok=True)
    _write_csv(out / "games.csv", games)
    _write_csv(out / "ranking.csv", ranking)
    write_json_atomic(
        out / "manifest.json",
        {
            "tournament": {"strategies": list(strategies), "ranked_on": RANKED_ON},
            "scenario": {"name": scenario.name, "file": str(scenario.path)},
            "master_seed": seed,
            "reps": reps,
            "game_start": start,
            "every_days": every_days,
            "deadline_outcomes": list(DEADLINE_OUTCOMES),
            "tradesim_version": __version__,
        },
    )
    return TournamentReport(out, games, ranking)


def pairing_means(games: list[dict], strategies: list[str], measure: str) -> np.ndarray:
    """Mean of ``measure`` per pairing: rows are US strategies, columns China's."""
    table = np.full((len(strategies), len(strategies)), np.nan)
    for i, us in enumerate(strategies):
        for j, china in enumerate(strategies):
            x = [g[measure] for g in games if g["us_strategy"] == us and g["china_strategy"] == china]
            table[i, j] = float(np.mean(x))
    return table


def _write_csv(path: Path, rows: list[dict]) -> None:
    """Floats written in full (repr), so the ranking can be recomputed from the file exactly."""
    with atomic_text(path) as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(
            {k: ("" if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()} for r in rows
        )


# --- a saved game over many replications --------------------------------------------------------


def _game_reps(
    record: GameRecord, scenario: LoadedScenario, seed: int, reps: list[int]
) -> list[ReplicationResult]:
    out = []
    for rep in reps:
        game, result = replay_game(record, scenario, rep=rep, seed=seed)
        out.append(ReplicationResult(rep, dict(game.parameters), result.outcomes, result.series))
    return out


def run_game_experiment(
    record: GameRecord,
    scenario: LoadedScenario,
    name: str,
    reps: int,
    seed: int,
    out: Path,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> Path:
    """A saved game's moves played in replications 0..reps-1: a normal results folder named ``name``."""
    clock = Clock(scenario.spec.calendar.start, scenario.spec.calendar.end)
    manifest = base_manifest(scenario, seed, reps, workers, key_dates(scenario))
    manifest["scenario"]["name"] = name
    manifest["scenario"]["description"] = (
        f"saved game ({record.players['us']} vs {record.players['china']}) on {scenario.name}: "
        "its moves fixed, every replication's luck its own"
    )
    manifest["game"] = {
        "players": record.players,
        "seed_played": record.seed,
        "rep_played": record.rep,
        "start": record.start,
        "every_days": record.every_days,
        "turns": [describe_turn(t) for t in record.turns],
        "note": "the moves are part of the run: `tradesim replay` re-runs the scenario without them",
    }
    writer = ResultsWriter(out, clock, manifest)
    chunks = [list(range(i, min(i + 10, reps))) for i in range(0, reps, 10)]
    try:
        if workers == 1:
            for chunk in chunks:
                writer.write(_game_reps(record, scenario, seed, chunk))
                if progress:
                    progress(len(chunk))
        else:
            with executor(workers) as pool:
                futures = [pool.submit(_game_reps, record, scenario, seed, chunk) for chunk in chunks]
                for chunk, future in zip(chunks, futures, strict=True):
                    writer.write(future.result())
                    if progress:
                        progress(len(chunk))
    finally:
        writer.close(complete=len(writer.completed) == reps)
    return out


def _run_saved_game(
    record: GameRecord,
    scenario: LoadedScenario,
    name: str,
    out: Path,
    reps: int,
    seed: int,
    workers: int,
    progress: Callable[[int], None] | None,
) -> Path:
    return run_game_experiment(record, scenario, name, reps, seed, out, workers, progress)


def comparison_entries(refs: Sequence[str | Path | LoadedScenario]) -> dict[str, object]:
    """What ``tradesim compare`` compares, by name: loaded scenarios, and saved games as folder runners.

    A saved game (``*.game.toml``) is named after its file, or after its folder when the file is
    ``game.game.toml`` (as ``tradesim play`` saves it). Raises :class:`ValueError` (a name twice),
    :class:`sim.workshop.records.GameFileError` or :class:`sim.scenario.loader.ScenarioError`.
    The values suit :func:`sim.experiments.compare.run_comparison`.
    """
    if len(refs) < 2:
        raise ValueError("compare needs at least two scenarios")
    if len({r.name if isinstance(r, LoadedScenario) else str(r) for r in refs}) < len(refs):
        raise ValueError("each scenario may appear once")
    entries: dict[str, object] = {}
    for ref in refs:
        if isinstance(ref, LoadedScenario):
            entries[ref.name] = ref
            continue
        if not is_game_file(ref):
            loaded = load_scenario(ref)
            entries[loaded.name] = loaded
            continue
        path = Path(ref)
        record = load_game(path)
        spec = load_record_scenario(record, path.parent, path)
        name = path.name.removesuffix(".game.toml")
        if name == "game":  # `tradesim play` saves game.game.toml: name it by its folder
            name = path.resolve().parent.name
        if name in entries:
            raise ValueError(f"{ref}: a scenario or game named {name!r} is already compared; rename the file")
        entries[name] = partial(_run_saved_game, record, spec, name)
    return entries


def tournament_figure(games: list[dict], path: Path | None, title: str, strategies: list[str] | None = None):
    """The tournament's heat maps from its games table (``strategies``: their order; default: as played)."""
    from sim.workshop.charts import tournament_chart

    order = strategies or list(dict.fromkeys(g["us_strategy"] for g in games))
    means = {m: pairing_means(games, order, m) for m in ("gdp_loss_year_end_pct", "china_pain_mean")}
    return tournament_chart(means, order, order, path, title)
