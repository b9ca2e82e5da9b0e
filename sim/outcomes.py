"""What a replication reports: the catalogue of daily series and scalar outcomes.

One entry per name, with its unit and meaning. The summary table, the results
folder and the plots all read their labels from here, so a unit is written once.
Outcomes of kind ``date`` are day numbers inside the model and ISO dates in the
results tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sim.domain import SECTORS


@dataclass(frozen=True)
class Measure:
    """A named quantity the model reports."""

    unit: str
    description: str
    kind: Literal["count", "days", "date", "share", "pct", "level"] = "count"


SERIES: dict[str, Measure] = {
    "applications_filed": Measure("applications/day", "export-licence applications filed that day"),
    "renewals_filed": Measure("applications/day", "renewal applications filed that day"),
    "approvals": Measure("licences/day", "licences approved that day"),
    "rejections": Measure("applications/day", "applications refused that day"),
    "backlog": Measure("applications", "applications filed and not yet decided, end of day"),
    "queued_for_review": Measure("applications", "applications waiting for a reviewer, end of day"),
    "licences_in_force": Measure("licences", "approved licences not yet expired, end of day"),
    "reviewers": Measure("reviewers", "review slots working that day", "level"),
    **{
        f"approvals_{s}": Measure("licences/day", f"licences approved that day, {s} end use") for s in SECTORS
    },
}

OUTCOMES: dict[str, Measure] = {
    "applications_total": Measure("applications", "applications filed over the horizon"),
    "backlog_at_deadline": Measure("applications", "backlog on the truce deadline"),
    "backlog_peak": Measure("applications", "largest backlog over the horizon"),
    "backlog_peak_date": Measure("date", "date of the largest backlog", "date"),
    "backlog_at_end": Measure("applications", "backlog on the last simulated day"),
    "approvals_total": Measure("licences", "licences approved over the horizon"),
    **{
        f"approvals_{s}": Measure("licences", f"licences approved over the horizon, {s} end use")
        for s in SECTORS
    },
    "rejections_total": Measure("applications", "applications refused over the horizon"),
    "licences_in_force_at_deadline": Measure("licences", "licences in force on the truce deadline"),
    "licences_in_force_at_end": Measure("licences", "licences in force on the last simulated day"),
    "renewals_filed_total": Measure("applications", "renewal applications filed over the horizon"),
    "renewal_wave_peak_date": Measure("date", "date with most renewal filings", "date"),
    "military_approvals": Measure("licences", "military-use (samarium) licences approved"),
    "wait_days_median": Measure("days", "median days from filing to decision (decided files)", "days"),
    "wait_days_p90": Measure("days", "90th percentile of days from filing to decision", "days"),
    "wait_days_mean": Measure("days", "mean days from filing to decision (decided files)", "days"),
}
