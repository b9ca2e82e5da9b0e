"""What a replication reports: the catalogue of daily series and scalar outcomes.

One entry per name, with its unit and meaning. The summary table, the results
folder and the plots all read their labels from here, so a unit is written once.
Outcomes of kind ``date`` are day numbers inside the model and ISO dates in the
results tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sim.core.domain import SECTORS


@dataclass(frozen=True)
class Measure:
    """A named quantity the model reports."""

    unit: str
    description: str
    kind: Literal["count", "days", "date", "share", "pct", "level", "tonnes", "flag"] = "count"


#: GDP channels (sim.model.macro) and what each counts.
_GDP_CHANNELS = {
    "magnet": "magnet channel (output lost by plants short of magnets)",
    "tariff": "tariff channel (drag of both sides' tariffs through trade volumes)",
}
#: GDP outcome dates: the quarter whose level is reported, and the day cumulative losses run to.
_GDP_DATES = {"q3": ("Q3 2025 (Jul-Sep)", "2025-09-30"), "year_end": ("Q4 2025 (Oct-Dec)", "2025-12-31")}

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
    # supply, industry and market (subsystems 2-4), one set per sector
    **{
        name: measure
        for s in SECTORS
        for name, measure in {
            f"arrivals_{s}": Measure("tonnes/day", f"magnet tonnes reaching US distributors, {s}", "tonnes"),
            f"in_transit_{s}": Measure("tonnes", f"magnet tonnes shipped and not yet landed, {s}", "tonnes"),
            f"stock_{s}": Measure("tonnes", f"magnet stock at {s} plants, end of day", "tonnes"),
            f"distributor_stock_{s}": Measure(
                "tonnes", f"magnets landed and not yet delivered to {s} plants, end of day", "tonnes"
            ),
            f"days_of_cover_{s}": Measure(
                "days", f"{s} plant stock in days of the sector's full use, end of day", "days"
            ),
            f"plants_running_{s}": Measure("plants", f"{s} plants running that day"),
            f"plants_halted_{s}": Measure("plants", f"{s} plants fully stopped for want of magnets that day"),
            f"plants_slowed_{s}": Measure(
                "plants", f"{s} plants running below capacity for want of magnets that day (not halted)"
            ),
            f"lost_output_{s}": Measure(
                "% of sector output", f"{s} output lost that day to slowed and halted plants", "pct"
            ),
            f"output_share_{s}": Measure(
                "% of sector output", f"{s} output made that day, share of full capacity", "pct"
            ),
        }.items()
    },
    "china_us_departures": Measure(
        "tonnes/day", "magnet tonnes leaving China for US users that day (departures), all sectors", "tonnes"
    ),
    "china_us_arrivals": Measure(
        "tonnes/day", "magnet tonnes from China landing in the US that day (arrivals), all sectors", "tonnes"
    ),
    "price_index": Measure("index, pre-crisis = 100", "rare-earth magnet price index", "level"),
    "landed_cost_index": Measure(
        "index, pre-crisis tariff-free = 100", "magnet price paid in the US, tariff included", "level"
    ),
    "supply_gap": Measure(
        "% of full use", "shortfall of recent magnet arrivals below US plants' full use", "pct"
    ),
    # GDP (subsystem 7): LEVEL = that day's output below its no-shock path; CUMULATIVE = summed over days
    "gdp_loss": Measure(
        "% of annual US GDP, cumulative",
        "CUMULATIVE: US output lost since the start, summed over days, both channels",
        "pct",
    ),
    **{
        f"gdp_loss_{channel}": Measure(
            "% of annual US GDP, cumulative",
            f"CUMULATIVE: US output lost since the start, summed over days, {what}",
            "pct",
        )
        for channel, what in _GDP_CHANNELS.items()
    },
    "gdp_level_loss": Measure(
        "% of US GDP, level", "LEVEL: that day's US output below its no-shock path, both channels", "pct"
    ),
    **{
        f"gdp_level_loss_{channel}": Measure(
            "% of US GDP, level", f"LEVEL: that day's US output below its no-shock path, {what}", "pct"
        )
        for channel, what in _GDP_CHANNELS.items()
    },
    "us_pain": Measure(
        "$bn a month",
        "US pain: idle magnet-dependent value added, magnet prices, exports stopped by China's tariff "
        "and its own tariff's cost, at the month's rate",
        "level",
    ),
    "china_pain": Measure(
        "$bn a month",
        "China's pain: exports stopped by the US tariff, US technology controls, magnet export revenue "
        "lost and its own tariff's cost, at the month's rate",
        "level",
    ),
    "chip_controls": Measure("0 or 1", "US chip-export controls in force", "level"),
    "negotiation_state": Measure(
        "code",
        "0 truce, then the latest deadline's outcome: 1 deal, 2 extension, 3 snap-back, 4 escalation",
        "level",
    ),
    "us_tariff_on_china": Measure("%", "US tariff on Chinese goods", "pct"),
    "china_tariff_on_us": Measure("%", "China's tariff on US goods", "pct"),
}

_LICENSING_OUTCOMES: dict[str, Measure] = {
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

#: month names of the shipments outcomes (sim.model.supply.SHIPMENT_MONTHS; results and model
#: do not import each other)
_MONTHS = {"apr": "April", "may": "May", "jun": "June", "jul": "July", "aug": "August",
           "sep": "September", "oct": "October", "nov": "November", "dec": "December"}  # fmt: skip

_SUPPLY_OUTCOMES: dict[str, Measure] = {
    **{
        f"china_us_shipments_{m}": Measure(
            "share of normal",
            f"China-to-US departures in {name} 2025 over the normal flow for the same days",
            "share",
        )
        for m, name in _MONTHS.items()
    },
    "china_us_normal_flow": Measure(
        "tonnes/day", "normal China-to-US flow before the controls, all sectors (the shares' base)", "tonnes"
    ),
}

_INDUSTRY_OUTCOMES: dict[str, Measure] = {
    **{
        name: measure
        for s in SECTORS
        for name, measure in {
            f"halted_plant_days_{s}": Measure(
                "plant-days", f"days {s} plants stood fully idle, summed over plants"
            ),
            f"lost_output_days_{s}": Measure(
                "sector-days",
                f"{s} output lost to slowed and halted plants, in days of the whole sector's output",
                "days",
            ),
            f"output_lost_pct_of_year_{s}": Measure(
                "% of a normal year",
                f"{s} output lost to slowed and halted plants, % of a year's output",
                "pct",
            ),
            f"first_slowdown_{s}": Measure(
                "date", f"first day any {s} plant ran below capacity for want of magnets", "date"
            ),
            f"first_stoppage_{s}": Measure("date", f"first day any {s} plant halted", "date"),
            f"plants_ever_slowed_{s}": Measure("plants", f"{s} plants that slowed or halted at least once"),
            f"plants_ever_halted_{s}": Measure("plants", f"{s} plants that halted at least once"),
        }.items()
    },
    "auto_halt_before_june": Measure(
        "% of replications",
        "an auto plant halts before 2025-06-01 (1 or 0; summaries give the share of replications)",
        "flag",
    ),
}

_MARKET_OUTCOMES: dict[str, Measure] = {
    "price_rise_peak_pct": Measure("%", "highest magnet price index, rise over pre-crisis", "pct"),
    "price_peak_date": Measure("date", "date of the highest magnet price", "date"),
    "price_rise_may_2025_pct": Measure("%", "magnet price rise from 2025-04-30 to 2025-05-31", "pct"),
    "price_index_at_end": Measure("index", "magnet price index on the last simulated day", "level"),
}

_TARIFF_OUTCOMES: dict[str, Measure] = {
    "us_tariff_at_deadline": Measure("%", "US tariff on Chinese goods on the truce deadline", "pct"),
    "us_tariff_mean": Measure("%", "US tariff on Chinese goods, average over the horizon", "pct"),
}

_GDP_CHANNEL_SUFFIXES = {"": "both channels", **{f"_{c}": what for c, what in _GDP_CHANNELS.items()}}
_MACRO_OUTCOMES: dict[str, Measure] = {
    name: measure
    for when, (quarter, by) in _GDP_DATES.items()
    for name, measure in (
        *(
            (
                f"gdp_loss_{when}{suffix}_pct",
                Measure(
                    "% of annual US GDP, cumulative",
                    f"CUMULATIVE: US output lost from the start to {by}, summed over days, {what}",
                    "pct",
                ),
            )
            for suffix, what in _GDP_CHANNEL_SUFFIXES.items()
        ),
        *(
            (
                f"gdp_level_loss_{when}{suffix}_pct",
                Measure(
                    f"% of {quarter[:2]} US GDP, level",
                    f"LEVEL: US GDP in {quarter} below its no-shock path (mean over the quarter), {what}",
                    "pct",
                ),
            )
            for suffix, what in _GDP_CHANNEL_SUFFIXES.items()
        ),
    )
}

_NEGOTIATION_OUTCOMES: dict[str, Measure] = {
    "deadline_deal": Measure("% of replications", "the truce deadline ends in a deal", "flag"),
    "deadline_extension": Measure("% of replications", "the truce deadline ends in an extension", "flag"),
    "deadline_snap_back": Measure("% of replications", "the truce lapses and tariffs snap back", "flag"),
    "deadline_escalation": Measure("% of replications", "the truce deadline ends in escalation", "flag"),
    "deadline_date": Measure("date", "the truce deadline that was decided", "date"),
    "extensions": Measure("extensions", "deadlines that ended in an extension over the horizon"),
    "us_pain_at_deadline": Measure("$bn a month", "US pain on the truce deadline", "level"),
    "china_pain_at_deadline": Measure("$bn a month", "China's pain on the truce deadline", "level"),
}

#: Scalar outcomes by subsystem, in the order tables show them.
OUTCOME_GROUPS: dict[str, dict[str, Measure]] = {
    "licensing": _LICENSING_OUTCOMES,
    "supply": _SUPPLY_OUTCOMES,
    "industry": _INDUSTRY_OUTCOMES,
    "market": _MARKET_OUTCOMES,
    "negotiation": _NEGOTIATION_OUTCOMES,
    "tariffs": _TARIFF_OUTCOMES,
    "macro": _MACRO_OUTCOMES,
}
OUTCOMES: dict[str, Measure] = {name: m for group in OUTCOME_GROUPS.values() for name, m in group.items()}
GROUP_OF: dict[str, str] = {name: g for g, group in OUTCOME_GROUPS.items() for name in group}
