"""What a team sees in the terminal at each turn: a compact status and small charts.

Text only (the front end prints it): one line per sector with stock and halted
plants, the price, GDP lost, both sides' pain and the instruments in force, and
unicode sparklines of the turns so far, so a room sees the trend at a glance.
"""

from __future__ import annotations

from collections.abc import Sequence

from sim.core.domain import SECTORS
from sim.workshop.game import TurnStatus
from sim.workshop.moves import MEANING, SIDE_NAMES, VOCABULARY

_BARS = "▁▂▃▄▅▆▇█"
SECTOR_SHORT = {
    "auto": "auto",
    "electronics_industrial": "electronics",
    "aerospace": "aerospace",
    "defence": "defence",
}


def sparkline(values: Sequence[float]) -> str:
    """One bar character per value, scaled between the smallest and largest."""
    if not values:
        return ""
    low, high = min(values), max(values)
    span = high - low
    return "".join(_BARS[0 if span == 0 else min(7, int((v - low) / span * 8))] for v in values)


def status_lines(status: TurnStatus, history: Sequence[TurnStatus]) -> list[str]:
    """The turn's status as lines of text; ``history`` is every status so far, this one included."""
    head = f"Turn {status.turn} - {status.date:%a %d %b %Y}"
    if status.decision:
        head += f" - DECISION POINT: {status.decision}: your stance counts"
    lines = [head]
    if status.decision and "deadline" in status.decision:
        lines.append(
            "  at a deadline: both concede -> deal; one concedes -> extension (a new deadline); both hold -> "
            "snap-back; an escalation -> escalation (extension if the other concedes)"
        )
    lines += [f"  news: {item}" for item in status.news]
    lines.append(
        f"  China's licence backlog: {status.backlog:,} applications; review capacity "
        f"{status.review_capacity_per_day:,.0f}/day; "
        f"US fast track {'open' if status.fast_track else 'closed'}; "
        f"green channel {'on' if status.green_channel else 'off'}; "
        f"military files {status.military_handling}"
    )
    plants = [
        f"{SECTOR_SHORT[s]} {status.days_of_cover[s]:.0f} d cover, "
        f"{status.plants_halted[s]}/{status.plants[s]} halted"
        for s in SECTORS
    ]
    lines.append("  US plants: " + "; ".join(plants[:2]))
    lines.append("             " + "; ".join(plants[2:]))
    lines.append(
        f"  magnet price index {status.price_index:.0f} (pre-crisis 100); US GDP lost so far "
        f"{status.gdp_loss_pct:.2f}% of a year's GDP"
    )
    lines.append(
        f"  tariffs: US on China {status.us_tariff_pct:.0f}%, China on US {status.china_tariff_pct:.0f}%; "
        f"US chip controls {'ON' if status.chip_controls else 'off'}"
    )
    lines.append(
        f"  pain ($bn a month at risk): US {status.us_pain:.1f}, China {status.china_pain:.1f} "
        "(higher pain, likelier concessions)"
    )
    if len(history) > 1:
        rows = {
            "GDP lost": [h.gdp_loss_pct for h in history],
            "price": [h.price_index for h in history],
            "plants halted": [float(sum(h.plants_halted.values())) for h in history],
            "backlog": [float(h.backlog) for h in history],
            "US pain": [h.us_pain for h in history],
            "China pain": [h.china_pain for h in history],
        }
        lines.append("  since the game began (one bar per turn, each scaled to its own range):")
        lines += [f"    {name:<14}{sparkline(values)}" for name, values in rows.items()]
    return lines


def vocabulary_lines(side: str) -> list[str]:
    """The moves a side may type, with what each does."""
    lines = [
        f"{SIDE_NAMES[side]} moves (several per turn, e.g. 'tariff=80 stance=hold', or 'pass'; "
        "'help' shows this again):"
    ]
    for key, values in VOCABULARY[side].items():
        allowed = "N" if key == "tariff" else "|".join(values)
        lines.append(f"  {key}={allowed:<22} {MEANING[key]}")
    return lines
