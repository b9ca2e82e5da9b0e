"""Predict, then reveal: a class's forecasts of outcomes, scored against the simulated distribution.

Before a run, each participant writes down what they expect: the probability of
a yes/no outcome (the truce lapsing and tariffs snapping back, say) and a few
quantiles of a quantity (GDP lost by year-end: the values they are 5%, 50% and
95% sure it stays below). After the run, each forecast is scored against the
replications with proper scoring rules (:mod:`sim.workshop.scoring`: Brier score for
probabilities, CRPS for quantiles), so the honest forecast is the best bet, and
set beside what the model itself would have said. Scoring is against the
*model's* distribution, not history: the point is to confront intuitions with
the model's logic, then argue about which one is wrong.

Forecasts live in a class file (CSV, one forecast value per row: name, outcome,
quantile level or empty for a probability, value, submitted) so that a teacher
can collect them with ``tradesim forecast add``, a spreadsheet or a web form.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim.results.catalogue import OUTCOMES
from sim.workshop.scoring import brier_score, check_quantiles, crps_floor, crps_quantiles

#: The columns of a class forecasts file, in order.
COLUMNS = ("name", "outcome", "quantile", "value", "submitted")

#: What a class is asked by default.
DEFAULT_EVENT = "deadline_snap_back"
DEFAULT_QUANTITY = "gdp_loss_year_end_pct"
DEFAULT_LEVELS = (0.05, 0.50, 0.95)

#: Yes/no outcomes: a forecast is a probability.
EVENTS = tuple(name for name, m in OUTCOMES.items() if m.kind == "flag")
#: Numeric outcomes: a forecast is a set of quantiles (dates are left out: a run may never reach them).
QUANTITIES = tuple(name for name, m in OUTCOMES.items() if m.kind not in ("flag", "date"))


class ForecastError(Exception):
    """A forecasts file or a forecast is not usable; ``problems`` holds one line per problem."""

    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else problems
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class ProbabilityForecast:
    """A participant's probability (0 to 1) that a yes/no outcome happens."""

    name: str
    outcome: str
    probability: float


@dataclass(frozen=True)
class QuantileForecast:
    """A participant's quantiles of a quantity: ``values[i]`` is the ``levels[i]`` quantile."""

    name: str
    outcome: str
    levels: tuple[float, ...]
    values: tuple[float, ...]


@dataclass
class ClassForecasts:
    """Every forecast in a class file, in the order participants submitted them."""

    path: Path
    probabilities: list[ProbabilityForecast] = field(default_factory=list)
    quantiles: list[QuantileForecast] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        """Participants, in order of first appearance."""
        seen = [f.name for f in self.probabilities] + [f.name for f in self.quantiles]
        return list(dict.fromkeys(seen))

    def questions(self) -> tuple[list[str], list[str], tuple[float, ...] | None]:
        """The events and quantities asked in this file, and the quantile levels of the first quantity."""
        events = list(dict.fromkeys(f.outcome for f in self.probabilities))
        quantities = list(dict.fromkeys(f.outcome for f in self.quantiles))
        return events, quantities, (self.quantiles[0].levels if self.quantiles else None)


# --- checking what people type ----------------------------------------------------------------


def _suggest(name: str, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, allowed, n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    return f"{hint}; one of: {', '.join(allowed)}"


def check_event(name: str) -> str:
    """A yes/no outcome that a probability can be given for, or ValueError naming the allowed ones."""
    if name not in EVENTS:
        raise ValueError(f"{name!r} is not a yes/no outcome{_suggest(name, EVENTS)}")
    return name


def check_quantity(name: str) -> str:
    """A numeric outcome that quantiles can be given for, or ValueError naming the allowed ones."""
    if name not in QUANTITIES:
        kind = " (a date: not supported)" if name in OUTCOMES else ""
        raise ValueError(f"{name!r} is not a numeric outcome{kind}{_suggest(name, QUANTITIES)}")
    return name


def parse_probability(text: str) -> float:
    """A probability typed as a percentage ("30", "30%", "7.5%") or a fraction ("0.3"), from 0 to 1."""
    return read_probability(text)[0]


def read_probability(text: str) -> tuple[float, str]:
    """A typed probability from 0 to 1, and how it was read (to say so to the participant).

    With a percent sign it is a percentage ("30%", "0.5%"). A bare number below 1 is a
    fraction ("0.3" is 30%: a forecaster meaning less than one percent types "0.3%"); from
    1 to 100 it is a percentage ("30" is 30%, "1" is 1%).
    """
    raw = text.strip()
    percent_sign = raw.endswith("%")
    cleaned = raw.removesuffix("%").strip()
    try:
        number = float(cleaned)
    except ValueError:
        raise ValueError(
            f"probability {text!r} is not a number (type a percentage such as 30% or a fraction such as 0.3)"
        ) from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"probability {text!r} must be a percentage from 0 to 100")
    if percent_sign or number >= 1 or number == 0:
        if number > 100:
            raise ValueError(f"probability {text!r} must be a percentage from 0 to 100")
        how = "a percentage" if percent_sign or number == 0 else "a percentage (a number from 1 to 100)"
        return number / 100.0, f"read {raw!r} as {number:g}%: {how}"
    return number, (
        f"read {raw!r} as {100 * number:g}%: a number below 1 is a fraction (type {raw}% for {raw} percent)"
    )


def parse_levels(text: str) -> tuple[float, ...]:
    """Quantile levels typed in percent ("5,50,95") as increasing numbers strictly between 0 and 1."""
    try:
        pcts = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"levels {text!r} must be percentages separated by commas, e.g. 5,50,95") from None
    levels = tuple(p / 100.0 for p in pcts)
    if len(levels) < 2 or any(not 0 < q < 1 for q in levels) or list(levels) != sorted(set(levels)):
        raise ValueError(f"levels {text!r} must be at least two increasing percentages between 0 and 100")
    return levels


# --- the class file ---------------------------------------------------------------------------


def read_forecasts(path: Path) -> ClassForecasts:
    """Read and check a class forecasts file; ForecastError lists every problem with its line."""
    path = Path(path)
    if not path.is_file():
        raise ForecastError(
            f"{path}: no such forecasts file (start one with `tradesim forecast add {path} --name NAME`)"
        )
    # utf-8-sig: spreadsheets often start a CSV export with a byte-order mark
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in reader.fieldnames or []]
            reader.fieldnames = header
            missing = [c for c in COLUMNS[:4] if c not in header]
            if missing:
                raise ForecastError(
                    f"{path}: missing column(s) {', '.join(missing)}; "
                    f"a forecasts file has the columns {', '.join(COLUMNS)}"
                )
            rows = [(i, row) for i, row in enumerate(reader, start=2)]
    except UnicodeDecodeError:
        raise ForecastError(f"{path}: not UTF-8 text (save it from the spreadsheet as 'CSV UTF-8')") from None
    problems: list[str] = []
    probabilities: list[ProbabilityForecast] = []
    quantile_rows: dict[tuple[str, str], list[tuple[int, float, float]]] = {}
    for line, row in rows:
        where = f"{path}, line {line}"
        name, outcome = (row.get("name") or "").strip(), (row.get("outcome") or "").strip()
        level_text, value_text = (row.get("quantile") or "").strip(), (row.get("value") or "").strip()
        if not name:
            problems.append(f"{where}: column 'name' is empty")
            continue
        try:
            value = float(value_text)
            if not math.isfinite(value):
                raise ValueError
        except ValueError:
            problems.append(f"{where}: column 'value' must be a number, got {value_text!r}")
            continue
        if not level_text:  # a probability of a yes/no outcome
            try:
                check_event(outcome)
            except ValueError as exc:
                problems.append(f"{where}: column 'outcome': {exc} (an empty 'quantile' means a probability)")
                continue
            if not 0.0 <= value <= 1.0:
                hint = f" (write {value:g}% as {value / 100:g})" if 1 < value <= 100 else ""
                problems.append(
                    f"{where}: column 'value': a probability must be from 0 to 1, got {value:g}{hint}"
                )
                continue
            if any(p.name == name and p.outcome == outcome for p in probabilities):
                problems.append(f"{where}: {name} gave a probability of {outcome} twice")
                continue
            probabilities.append(ProbabilityForecast(name, outcome, value))
            continue
        try:
            check_quantity(outcome)
        except ValueError as exc:
            problems.append(f"{where}: column 'outcome': {exc}")
            continue
        try:
            level = float(level_text)
            if not 0.0 < level < 1.0:
                raise ValueError
        except ValueError:
            problems.append(
                f"{where}: column 'quantile' must be a level between 0 and 1 (e.g. 0.05), "
                f"or empty for a probability; got {level_text!r}"
            )
            continue
        quantile_rows.setdefault((name, outcome), []).append((line, level, value))
    quantiles: list[QuantileForecast] = []
    for (name, outcome), entries in quantile_rows.items():
        entries.sort(key=lambda e: e[1])
        levels = tuple(e[1] for e in entries)
        values = tuple(e[2] for e in entries)
        lines = ", ".join(str(e[0]) for e in sorted(entries))
        if len(set(levels)) < len(levels):
            problems.append(f"{path}, lines {lines}: {name} gave the same quantile of {outcome} twice")
            continue
        if len(levels) < 2:
            problems.append(
                f"{path}, line {lines}: {name} gave only one quantile of {outcome}; give two or more"
            )
            continue
        try:
            check_quantiles(levels, values)
        except ValueError as exc:
            problems.append(f"{path}, lines {lines}: {name}'s forecast of {outcome}: {exc}")
            continue
        quantiles.append(QuantileForecast(name, outcome, levels, values))
    if problems:
        raise ForecastError(problems)
    return ClassForecasts(path, probabilities, quantiles)


def append_forecast(
    path: Path,
    name: str,
    probabilities: Mapping[str, float],
    quantiles: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    replace: bool = False,
) -> ClassForecasts:
    """Add one participant's forecasts to a class file (created if absent), after checking them.

    ``probabilities`` maps an event to a probability from 0 to 1; ``quantiles`` maps a
    quantity to (levels, values). A name already in the file is refused unless ``replace``.
    """
    path = Path(path)
    name = name.strip()
    if not name:
        raise ForecastError("a forecast needs a participant name (--name)")
    existing = read_forecasts(path) if path.is_file() else ClassForecasts(path)
    if name in existing.names and not replace:
        raise ForecastError(f"{path}: {name} has already forecast (use --replace to overwrite)")
    problems = []
    for event, p in probabilities.items():
        try:
            check_event(event)
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"a probability must be from 0 to 1, got {p:g}")
        except ValueError as exc:
            problems.append(f"{event}: {exc}")
    for quantity, (levels, values) in quantiles.items():
        try:
            check_quantity(quantity)
            check_quantiles(list(levels), list(values))
        except ValueError as exc:
            problems.append(f"{quantity}: {exc}")
    if problems:
        raise ForecastError(problems)
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    rows = [[name, event, "", f"{p:.4g}", stamp] for event, p in probabilities.items()]
    for quantity, (levels, values) in quantiles.items():
        rows += [[name, quantity, f"{q:g}", f"{v:.6g}", stamp] for q, v in zip(levels, values, strict=True)]
    if replace and name in existing.names:
        with path.open(newline="", encoding="utf-8") as fh:
            kept = [row for row in csv.reader(fh)][1:]
        rows = [row for row in kept if row and row[0].strip() != name] + rows
        mode = "w"
    else:
        mode = "a" if path.is_file() else "w"
    if mode == "w":
        path.parent.mkdir(parents=True, exist_ok=True)
    with path.open(mode, newline="", encoding="utf-8") as fh:
        if mode == "a" and _lacks_final_newline(path):
            fh.write("\n")  # a file saved by an editor without one: never glue the new row onto the last
        writer = csv.writer(fh)
        if mode == "w":
            writer.writerow(COLUMNS)
        writer.writerows(rows)
    return read_forecasts(path)


def _lacks_final_newline(path: Path) -> bool:
    with path.open("rb") as fh:
        if fh.seek(0, 2) == 0:
            return False
        fh.seek(-1, 2)
        return fh.read(1) not in (b"\n", b"\r")


# --- the class's scores -----------------------------------------------------------------------

#: Names of the reference rows: what the model itself would have forecast.
MODEL_FREQUENCY = "(model: simulated frequency)"
MODEL_QUANTILES = "(model: its own quantiles)"
MODEL_ITSELF = "(model: whole distribution)"


@dataclass(frozen=True)
class Score:
    """One forecast's score on one question (lower is better); references have ``reference=True``."""

    name: str
    outcome: str
    rule: str  # "brier" or "crps"
    score: float
    forecast: str  # the forecast, as text for tables
    reference: bool = False


@dataclass
class Scoreboard:
    """Every participant's scores, the model's reference scores, and the simulated samples."""

    scores: list[Score]
    samples: dict[str, np.ndarray]  # outcome -> simulated values (flags as 0/1), missing values dropped
    forecasts: ClassForecasts

    def for_outcome(self, outcome: str, references: bool = True) -> list[Score]:
        """The scores on one question, best first."""
        rows = [s for s in self.scores if s.outcome == outcome and (references or not s.reference)]
        return sorted(rows, key=lambda s: s.score)

    def ranking(self) -> list[tuple[str, float]]:
        """Participants by their mean rank over the questions they answered (1 is best), best first."""
        ranks: dict[str, list[int]] = {}
        for outcome in self.samples:
            ordered = self.for_outcome(outcome, references=False)
            for s in ordered:
                # ties share the better rank
                ranks.setdefault(s.name, []).append(1 + sum(o.score < s.score for o in ordered))
        mean = {name: float(np.mean(r)) for name, r in ranks.items()}
        return sorted(mean.items(), key=lambda item: (item[1], item[0]))


def _sample(outcomes: Mapping[str, np.ndarray], outcome: str, where: str) -> np.ndarray:
    if outcome not in outcomes:
        available = ", ".join(n for n in outcomes if n in EVENTS + QUANTITIES)
        raise ForecastError(f"{where}: the results have no outcome {outcome!r} (available: {available})")
    values = np.asarray(outcomes[outcome], dtype=float)
    values = values[~np.isnan(values)]
    if values.size == 0:
        raise ForecastError(f"{where}: no replication has a value of {outcome}")
    return values


def score_forecasts(
    forecasts: ClassForecasts, outcomes: Mapping[str, np.ndarray], where: str = "results"
) -> Scoreboard:
    """Score every forecast against the simulated outcomes (one array per outcome, one value per run)."""
    events, quantities, _ = forecasts.questions()
    samples = {name: _sample(outcomes, name, where) for name in events + quantities}
    scores: list[Score] = []
    for event in events:
        y = samples[event]
        frequency = float(np.mean(y))
        scores.append(
            Score(MODEL_FREQUENCY, event, "brier", brier_score(frequency, y), f"{100 * frequency:.0f}%", True)
        )
        for f in forecasts.probabilities:
            if f.outcome == event:
                scores.append(
                    Score(
                        f.name, event, "brier", brier_score(f.probability, y), f"{100 * f.probability:.0f}%"
                    )
                )
    for quantity in quantities:
        y = samples[quantity]
        asked = [f for f in forecasts.quantiles if f.outcome == quantity]
        levels = asked[0].levels
        own = tuple(float(v) for v in np.quantile(y, levels))
        scores.append(Score(MODEL_ITSELF, quantity, "crps", crps_floor(y), "every replication", True))
        scores.append(
            Score(MODEL_QUANTILES, quantity, "crps", crps_quantiles(levels, own, y), _describe(own), True)
        )
        for f in asked:
            scores.append(
                Score(f.name, quantity, "crps", crps_quantiles(f.levels, f.values, y), _describe(f.values))
            )
    return Scoreboard(scores, samples, forecasts)


def _describe(values: Sequence[float]) -> str:
    return " / ".join(f"{v:.3g}" for v in values)


def write_scores(board: Scoreboard, path: Path) -> Path:
    """The scores as a tidy CSV: one row per participant (or reference) and question."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["name", "outcome", "rule", "score", "forecast", "reference"])
        for s in board.scores:
            writer.writerow([s.name, s.outcome, s.rule, f"{s.score:.6g}", s.forecast, int(s.reference)])
    return path
