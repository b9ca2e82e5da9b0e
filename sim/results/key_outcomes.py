"""The key outcomes: the few a room reads first, in plain words, in the story's order.

One list for every place that shows a short summary: ``tradesim run`` and
``compare`` print them by default, and a run's HTML report opens with them (every
outcome, by its code name, comes after). Each label carries its unit in words.
"""

from __future__ import annotations

#: Outcome name -> what it is in plain words (unit included), in the story's order.
KEY_OUTCOMES = {
    "backlog_peak": "largest licence backlog (applications)",
    "wait_days_median": "median wait for a licence decision (days)",
    "china_us_shipments_may": "China-to-US magnet shipments in May (share of normal)",
    "china_us_shipments_sep": "China-to-US magnet shipments in September (share of normal)",
    "first_slowdown_auto": "first US auto plant slowed for want of magnets (date)",
    "first_stoppage_auto": "first US auto plant halted (date)",
    "auto_halt_before_june": "an auto plant halts before June (share of runs)",
    "output_lost_pct_of_year_auto": "US auto output lost (% of a normal year)",
    "price_rise_peak_pct": "highest magnet price rise over pre-crisis (%)",
    "deadline_deal": "truce deadline ends in a deal (share of runs)",
    "deadline_extension": "truce deadline ends in an extension (share of runs)",
    "deadline_snap_back": "truce lapses, tariffs snap back (share of runs)",
    "deadline_escalation": "truce deadline ends in escalation (share of runs)",
    "gdp_loss_year_end_magnet_pct": "US GDP lost by year-end, magnet shortage (% of a year's GDP)",
    "gdp_loss_year_end_tariff_pct": "US GDP lost by year-end, tariffs (% of a year's GDP)",
    "gdp_loss_year_end_pct": "US GDP lost by year-end, both channels (% of a year's GDP)",
}
