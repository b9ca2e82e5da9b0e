"""Summaries of outcome distributions: the median and a 90% interval of each outcome.

Yes/no outcomes (kind ``flag``, such as "an auto plant halts before June") are
summarised by the share of replications where they happen, in percent, with a
90% Wilson interval for that share in place of percentiles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.results.catalogue import GROUP_OF, OUTCOMES
from sim.results.folder import Results


@dataclass(frozen=True)
class OutcomeSummary:
    """One outcome across replications."""

    name: str
    unit: str
    description: str
    median: str
    low: str  # 5th percentile
    high: str  # 95th percentile
    n: int  # replications with a value
    group: str  # the subsystem that reports it


_FRACTIONAL = ("days", "pct", "share", "level")


def decimals_for(reference: float, kind: str) -> int:
    """Decimals that suit numbers of this size and kind: 2 for small shares, 0 for large counts."""
    if math.isnan(reference) or math.isinf(reference):
        return 1
    if kind in _FRACTIONAL and abs(reference) < 10:
        return 2
    return 1 if kind in _FRACTIONAL or abs(reference) < 100 else 0


def format_number(value: float, decimals: int, signed: bool = False) -> str:
    """One number as every table in tradesim writes it ("-" when missing)."""
    if math.isnan(value):
        return "-"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:{'+' if signed else ''},.{decimals}f}"


def format_value(value: float, kind: str, diff: bool = False) -> str:
    """A cell of the comparison table: a value, or (``diff``) a paired shift with its sign."""
    if math.isnan(value):
        return "-"
    if kind == "flag":
        return f"{100 * value:+.0f} pts" if diff else f"{100 * value:.0f}%"
    if kind == "date":
        return f"{value:+.0f} d" if diff else str(np.datetime64(int(round(value)), "D"))
    return format_number(value, decimals_for(value, kind), signed=diff)


def format_diff(value: float, kind: str) -> str:
    """A paired shift between scenarios, with its sign."""
    return format_value(value, kind, diff=True)


def summarise(results: Results) -> list[OutcomeSummary]:
    """Median and 5th-95th percentile of every scalar outcome in a results folder."""
    rows = []
    for name, values in results.outcomes.items():
        if name == "rep":
            continue
        m = OUTCOMES.get(name)
        kind = m.kind if m else "count"
        if kind == "flag":
            ok = values[~np.isnan(values)]
            n = ok.size
            if n:
                share, low, high = wilson_interval(int((ok > 0).sum()), n)
                cells = [f"{100 * share:.0f}%", f"{100 * low:.0f}%", f"{100 * high:.0f}%"]
            else:
                cells = ["-", "-", "-"]
        elif kind == "date":
            ok = values[~np.isnat(values)]
            if ok.size:
                q = np.quantile(ok.astype("int64"), [0.5, 0.05, 0.95], method="inverted_cdf")
                cells = [str(np.datetime64(int(x), "D")) for x in q]
            else:
                cells = ["-", "-", "-"]
            n = ok.size
        else:
            ok = values[~np.isnan(values)]
            q = np.quantile(ok, [0.5, 0.05, 0.95]) if ok.size else [math.nan] * 3
            decimals = decimals_for(float(q[0]), kind)  # one precision for the whole row
            cells = [format_number(float(x), decimals) for x in q]
            n = ok.size
        rows.append(
            OutcomeSummary(
                name=name,
                unit=m.unit if m else "",
                description=m.description if m else "",
                median=cells[0],
                low=cells[1],
                high=cells[2],
                n=int(n),
                group=GROUP_OF.get(name, ""),
            )
        )
    return rows


def wilson_interval(successes: int, n: int, z: float = 1.6448536269514722) -> tuple[float, float, float]:
    """Share of successes and its Wilson score interval (90% by default)."""
    if n == 0:
        return math.nan, math.nan, math.nan
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return p, max(0.0, centre - half), min(1.0, centre + half)
