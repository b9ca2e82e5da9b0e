"""Summaries of outcome distributions: the median and a 90% interval of each outcome."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.outcomes import OUTCOMES
from sim.results import Results


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


def _fmt(value: float, kind: str) -> str:
    if math.isnan(value):
        return "-"
    if kind in ("days", "pct", "share", "level") or abs(value) < 100:
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def summarise(results: Results) -> list[OutcomeSummary]:
    """Median and 5th-95th percentile of every scalar outcome in a results folder."""
    rows = []
    for name, values in results.outcomes.items():
        if name == "rep":
            continue
        m = OUTCOMES.get(name)
        kind = m.kind if m else "count"
        if kind == "date":
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
            cells = [_fmt(float(x), kind) for x in q]
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
            )
        )
    return rows
