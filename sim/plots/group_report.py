"""The HTML report of a comparison folder or of a branches folder: its runs side by side.

A comparison report puts the scenarios side by side: each scenario in words, the comparison
table (median and 90% interval per scenario, paired shift against the reference), how the
truce deadline ends in each, key outcomes as violins, and each scenario's key fans. A
branches report shows the fork: where and how each branch was decided, the model's own odds
of each branch, the per-branch table, the forked fans and key outcomes by branch. Like a run's
report (:mod:`sim.plots.report`) it is one self-contained file drawn from the saved tables.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from sim.plots.charts import (
    branch_fans,
    draw_comparison_plots,
    fan_chart,
    outcome_violins,
)
from sim.plots.report import _CSS, _esc, _image, write_report, write_text
from sim.plots.style import in_words, outcome_label
from sim.results.catalogue import OUTCOMES, SERIES
from sim.results.folder import Results, ResultsError, read_results
from sim.results.groups import Branches, read_branches
from sim.results.key_outcomes import KEY_OUTCOMES as KEY_OUTCOMES_IN_WORDS
from sim.results.kinds import FolderKind, expect
from sim.results.summary import format_value

#: Daily series drawn as a fan per scenario in a comparison report, in the story's order.
KEY_FANS = ("backlog", "stock_auto", "price_index", "gdp_loss")
#: The outcomes of the short table at the top of a comparison or branches report (all of them at the end).
KEY_OUTCOMES = (
    "deadline_deal",
    "deadline_extension",
    "deadline_snap_back",
    "deadline_escalation",
    "backlog_at_deadline",
    "approvals_total",
    "halted_plant_days_auto",
    "output_lost_pct_of_year_auto",
    "price_rise_peak_pct",
    "us_tariff_mean",
    "gdp_loss_q3_pct",
    "gdp_loss_year_end_pct",
)
#: In a branches report the deadline flags only restate each branch's name.
BRANCH_KEYS = tuple(k for k in KEY_OUTCOMES if not k.startswith("deadline_"))
_WIDE = "<style>table.wide td.num { white-space: normal; } table.wide { font-size: 0.85rem; }</style>"
#: Outcomes shown by branch as violins in a branches report.
BRANCH_OUTCOMES = ("gdp_loss_year_end_pct", "halted_plant_days_auto", "price_index_at_end", "us_tariff_mean")


def _cell(value: str, kind: str, diff: bool = False) -> str:
    """A cell of the saved comparison table, as the terminal's table writes it."""
    return "-" if value == "" else format_value(float(value), kind, diff)


def _table(
    folder: Path, members: list[str], reference: str, column: str, only: tuple[str, ...] | None = None
) -> str:
    """The saved comparison table (``comparison.csv``) as HTML: one column per scenario or branch.

    ``only``: these outcomes, in this order (the key ones); default every outcome.
    """
    path = folder / "comparison.csv"
    if not path.is_file():
        return "<p>(no comparison.csv in this folder)</p>"
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    by_outcome: dict[str, dict[str, dict[str, str]]] = {}
    for row in rows:
        by_outcome.setdefault(row["outcome"], {})[row["scenario"]] = row
    if only is not None:
        by_outcome = {name: by_outcome[name] for name in only if name in by_outcome}
    shown = {m: outcome_label(m) if column == "branch" else m for m in members}  # snap-back, as in charts
    head = "".join(f"<th>{_esc(shown[m])}</th>" for m in members)
    parts = [
        f"<p>Median and 90% interval per {column}; below each, in grey, the paired shift against "
        f"<strong>{_esc(shown[reference])}</strong> (replication by replication, common random numbers): "
        "median and 90% interval. Yes/no outcomes: share of replications.</p>",
        _WIDE,
        f'<table class="wide"><tr><th>outcome</th>{head}<th>unit</th></tr>',
    ]
    for outcome, cells in by_outcome.items():
        any_row = next(iter(cells.values()))
        kind = any_row["kind"]
        tds = []
        for m in members:
            c = cells.get(m)
            if c is None:
                tds.append("<td class=num>-</td>")
                continue
            text = f"{_cell(c['median'], kind)}<br>({_cell(c['low'], kind)} to {_cell(c['high'], kind)})"
            if m != reference and c.get("diff_median", "") != "":
                text += (
                    f'<br><span class="source">{_cell(c["diff_median"], kind, True)} '
                    f"({_cell(c['diff_low'], kind, True)} to {_cell(c['diff_high'], kind, True)})</span>"
                )
            tds.append(f"<td class=num>{text}</td>")
        described = OUTCOMES[outcome].description if outcome in OUTCOMES else ""
        if only is not None:  # the key table a room reads: in words, the code name below in grey
            words = KEY_OUTCOMES_IN_WORDS.get(outcome) or in_words(described) or outcome
            name = f'{_esc(words[:1].upper() + words[1:])}<br><span class="source">{_esc(outcome)}</span>'
        else:
            name = f'<span title="{_esc(described)}">{_esc(outcome)}</span>'
        parts.append(f"<tr><td>{name}</td>{''.join(tds)}<td>{_esc(any_row['unit'])}</td></tr>")
    parts.append("</table>")
    return "\n".join(parts)


def _page(title: str, meta: str, intro: list[str], sections: list[tuple[str, str, str]]) -> str:
    links = "".join(f'<li><a href="#{a}">{_esc(h)}</a></li>' for a, h, _ in sections)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>tradesim report: {_esc(title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{_esc(title)}</h1>",
        f'<p class="meta">{meta} · report written {dt.date.today().isoformat()}</p>',
        *intro,
        f'<nav><h2 id="contents">Contents</h2><ol>{links}</ol></nav>',
    ]
    for anchor, heading, body in sections:
        parts.append(f'<h2 id="{anchor}">{_esc(heading)}</h2>')
        parts.append(body)
    parts.append("</body></html>")
    return "\n".join(parts)


def _what(name: str) -> str:
    """A series or outcome in words, capitalised, with its unit."""
    measure = SERIES.get(name) or OUTCOMES.get(name)
    what = in_words(measure.description) if measure else name.replace("_", " ")
    unit = f" ({measure.unit})" if measure and measure.unit not in ("flag", "date") else ""
    return what[:1].upper() + what[1:] + unit


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _key_fans(results: dict[str, Results], plots: Path) -> str:
    """One fan per key series and scenario, scenarios of one series next to each other."""
    first = next(iter(results.values()))
    available = set(first.series_names()) if first.series_kept != "none" else set()
    figures = []
    columns = min(len(results), 2)
    for series in KEY_FANS:
        if series not in available:
            continue
        row = []
        for name, r in results.items():
            path = fan_chart(r, series, plots / f"{series}_{name}_fan.png")
            row.append(_image(path, f"{name}: {_what(series)}: median, middle 50% and 90% of replications"))
        grid = f"display:grid;grid-template-columns:repeat({columns},1fr);gap:1rem"
        figures.append(f'<div style="{grid}">{"".join(row)}</div>')
    return "\n".join(figures) or "<p>This comparison kept no daily series (<code>--series none</code>).</p>"


def build_comparison_report(found: FolderKind) -> str:
    """The HTML text of a comparison folder's report."""
    results = {name: read_results(path) for name, path in found.members().items()}
    reference = found.manifest.get("reference") or next(iter(results))
    plots = found.folder / "plots"
    drawn = draw_comparison_plots(results, found.folder)
    reps = {len(r.outcomes.get("rep", [])) for r in results.values()}
    first = next(iter(results.values()))
    meta = (
        f"{_plural(len(results), 'scenario')} · {'/'.join(map(str, sorted(reps)))} replications each · "
        f"master seed {_esc(found.manifest.get('master_seed'))} (shared: common random numbers) · "
        f"tradesim {_esc(found.manifest.get('tradesim_version', '?'))} · simulated "
        f"{_esc(first.manifest['calendar']['start'])} to {_esc(first.manifest['calendar']['end'])}"
    )
    intro = (
        ["<ul>"]
        + [
            f"<li><strong>{_esc(n)}</strong>{' (reference)' if n == reference else ''}: "
            f"{_esc(r.manifest['scenario'].get('description', ''))}</li>"
            for n, r in results.items()
        ]
        + ["</ul>"]
    )
    deadline = [p for p in drawn if p.stem == "deadline_outcomes"]
    violins = [p for p in drawn if p.stem.endswith("_by_scenario")]

    def violin_caption(p: Path) -> str:
        what = _what(p.stem.removesuffix("_by_scenario"))
        return f"{what}, scenarios side by side: each replication, median and 90% interval"

    members = list(results)
    sections = [
        (
            "comparison",
            "Key outcomes compared",
            _table(found.folder, members, reference, "scenario", KEY_OUTCOMES),
        ),
        (
            "deadline",
            "How the truce deadline ends",
            "\n".join(
                _image(p, "How the truce deadline ends: share of replications, by scenario") for p in deadline
            )
            or "<p>No deadline in these scenarios.</p>",
        ),
        ("outcomes", "Key outcomes side by side", "\n".join(_image(p, violin_caption(p)) for p in violins)),
        ("fans", "Each scenario day by day", _key_fans(results, plots)),
        ("all", "Every outcome compared", _table(found.folder, members, reference, "scenario")),
    ]
    title = "Comparison: " + " vs ".join(results)
    return _page(title, meta, intro, sections)


def build_branches_report(forked: Branches) -> str:
    """The HTML text of a branches folder's report."""
    manifest = forked.manifest
    point = manifest["fork_point"]
    plots = forked.folder / "plots"
    branches = list(forked.results)
    odds = forked.odds()
    decisions = manifest.get("decisions", {})
    first = next(iter(forked.results.values()))
    seed = manifest.get("master_seed", first.manifest.get("master_seed"))
    meta = (
        f"scenario {_esc(manifest.get('base_scenario', '?'))} · {forked.reps.size} replications, "
        f"each continued once per branch · master seed {_esc(seed)} · "
        f"tradesim {_esc(first.manifest.get('tradesim_version', '?'))}"
    )
    fork_dates = sorted({str(d) for d in forked.fork_dates})
    when = ", ".join(fork_dates[:3]) + (" ..." if len(fork_dates) > 3 else "")
    intro = [
        f"<p>Every replication runs once up to <strong>{_esc(point['label'])}</strong> "
        f"({_esc(point['kind'])}, {_esc(when)}), then is continued once per branch with the same "
        "random numbers: the branches differ only by what was decided there.</p>"
    ]

    def decided(branch: str) -> str:
        return ", ".join(f"{side} {d}s" for side, d in decisions.get(branch, {}).items())

    rows = "".join(
        f"<tr><td>{_esc(outcome_label(b))}</td><td>{_esc(decided(b))}</td>"
        f"<td class=num>{100 * odds[b]:.0f}%</td></tr>"
        for b in branches
    )
    fork = (
        "<p>The model's own odds: each replication's probability of each branch, from each side's pain "
        "at the fork, averaged over replications (<code>tradesim reweight</code> mixes the branches with "
        "these or other weights).</p>"
        f"<table><tr><th>branch</th><th>decisions at the fork</th><th>model's chance</th></tr>{rows}</table>"
    )
    fans = branch_fans(forked, plots / "branches.png")
    violins = []
    for name in BRANCH_OUTCOMES:
        if all(name in r.outcomes for r in forked.results.values()):
            path = outcome_violins(forked.results, name, plots / f"{name}_by_branch.png", per="branch")
            violins.append(
                _image(path, f"{_what(name)}, by branch: each replication, median and 90% interval")
            )
    sections = [
        ("fork", "The fork and the model's odds", fork),
        (
            "table",
            "Key outcomes by branch",
            _table(forked.folder, branches, branches[0], "branch", BRANCH_KEYS),
        ),
        (
            "fans",
            "One history, then each branch",
            _image(fans, "Shared history, then one fan per branch from the fork on: median and middle 50%"),
        ),
        ("outcomes", "Key outcomes by branch, replication by replication", "\n".join(violins)),
        ("all", "Every outcome by branch", _table(forked.folder, branches, branches[0], "branch")),
    ]
    return _page(
        f"Branches of {manifest.get('base_scenario', '?')} at {point['label']}", meta, intro, sections
    )


def write_group_report(found: FolderKind, path: Path | None = None) -> Path:
    """Write the report of a comparison or branches folder (``report.html`` inside it)."""
    if found.name == "comparison":
        text = build_comparison_report(found)
    elif found.name == "branches":
        text = build_branches_report(read_branches(found.folder, "report"))
    else:
        raise ResultsError(f"{found.folder}: {found.kind.words}, not a comparison or branches folder")
    return write_text(path or found.folder / "report.html", text)


def write_folder_report(folder: Path, path: Path | None = None) -> Path:
    """The report of any folder ``tradesim report`` reads: a run, a comparison or a branches folder."""
    found = expect(Path(folder), "report", "run", "comparison", "branches")
    if found.name == "run":
        return write_report(read_results(found.folder), path)
    return write_group_report(found, path)
