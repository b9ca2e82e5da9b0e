"""One self-contained HTML report of a results folder, to email or project.

Everything is inside the file: figures as base64 PNG, tables as HTML, styles
inline, no scripts and no network requests, so it opens anywhere (a
workshop room's laptop, an email attachment). It is drawn from the saved
results only: the scenario description, every parameter with its value or
distribution and its source, the median and 90% interval of every outcome,
and the figures.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
from pathlib import Path

from sim.plots.charts import DEFAULT_SECTOR_PANELS, draw_default_plots
from sim.plots.style import in_words
from sim.results.catalogue import OUTCOMES, SERIES
from sim.results.folder import Results, scenario_from_manifest
from sim.results.key_outcomes import KEY_OUTCOMES
from sim.results.safe_io import write_bytes_atomic
from sim.results.summary import summarise
from sim.scenario.sampling import iter_parameters

_CSS = """
body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 2rem auto;
       max-width: 1100px; color: #1a1a1a; line-height: 1.45; padding: 0 1rem; }
h1 { font-size: 2rem; margin-bottom: 0.2rem; } h2 { margin-top: 2.5rem; border-bottom: 2px solid #0072B2; }
.meta { color: #555; } table { border-collapse: collapse; width: 100%; font-size: 0.92rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f2f6fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 1.5rem 0; } figure img { width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9rem; } .source { color: #555; font-size: 0.85rem; }
"""


def _esc(text: object) -> str:
    return html.escape(str(text))


#: The report tells the story in this order; a figure joins the first chapter one of whose words
#: its file name contains. (anchor, heading, words)
STORY: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "licences",
        "Licences: China's export-licence review",
        ("backlog", "approval", "licence", "review", "wait"),
    ),
    (
        "shipments",
        "Shipments from China and other supply",
        ("shipment", "arrival", "china_us", "supply", "flow"),
    ),
    ("plants", "US plants: stock, slowdowns and stoppages", ("stock", "plant", "output", "halt", "cover")),
    ("prices", "Magnet prices", ("price", "landed")),
    ("tariffs", "Tariffs", ("tariff",)),
    ("negotiation", "The negotiation: pain, decisions, the deadline", ("pain", "negotiation", "deadline")),
    ("gdp", "US GDP", ("gdp",)),
)

#: What a figure's file name ends in, and how its caption describes it.
_KINDS = {
    "_fan": "{what}: median, middle 50% and 90% of replications, day by day",
    "_by_sector": "{what}, one panel per US sector: median, middle 50% and 90% of replications",
    "_hist": "{what}: how it is spread over replications",
    "_by_scenario": "{what}, scenarios side by side: median and 90% interval",
}
_NAMED = {
    "china_us_shipments_fan": "Rare-earth shipments leaving China for the US, as % of the normal flow: "
    "median, middle 50% and 90% of replications",
    "negotiation_state": "Where the negotiation stands: share of replications before the deadline and "
    "after each way of ending it",
    "deadline_outcomes": "How the truce deadline ends: share of replications, by scenario",
}


def caption(stem: str) -> str | None:
    """A sentence saying what a figure the product drew shows, or None for a file it did not draw.

    The product names every figure ``<series or outcome>_<kind>.png`` (or one of a few fixed names);
    a file named otherwise is not one of ours.
    """
    if stem in _NAMED:
        return _NAMED[stem]
    for suffix, template in _KINDS.items():
        if stem.endswith(suffix):
            name = stem.removesuffix(suffix)
            measure = SERIES.get(name) or OUTCOMES.get(name)
            if measure is None and suffix == "_by_sector":
                what = DEFAULT_SECTOR_PANELS.get(name, "").removesuffix(", by sector") or None
            else:
                what = in_words(measure.description) if measure else name.replace("_", " ")
            if what:
                unit = f" ({measure.unit})" if measure and measure.unit not in ("flag", "date") else ""
                return template.format(what=what[:1].upper() + what[1:] + unit)
    return None


def chapters(plots: list[Path]) -> list[tuple[str, str, list[tuple[Path, str]]]]:
    """The figures in the story's order, with captions; files the product did not draw are left out."""
    found: dict[str, list[tuple[Path, str]]] = {anchor: [] for anchor, _, _ in STORY}
    other: list[tuple[Path, str]] = []
    for path in plots:
        text = caption(path.stem)
        if text is None:
            continue  # not one of ours: a report shows what the model produced, nothing else
        anchor = next((a for a, _, words in STORY if any(w in path.stem for w in words)), None)
        (found[anchor] if anchor else other).append((path, text))

    def first_word(words: tuple[str, ...], path: Path) -> int:  # within a chapter: the story's order too
        return next(i for i, w in enumerate(words) if w in path.stem)

    for anchor, _, words in STORY:
        found[anchor].sort(key=lambda item, words=words: first_word(words, item[0]))  # stable: name order
    out = [(anchor, heading, found[anchor]) for anchor, heading, _ in STORY if found[anchor]]
    if other:
        out.append(("other", "Other figures", other))
    return out


def _image(path: Path, text: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<figure><img alt="{_esc(text)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{_esc(text)}</figcaption></figure>"
    )


def _contents(story: list[tuple[str, str, list]]) -> str:
    items = [("key-outcomes", "Key outcomes"), *((a, h) for a, h, _ in story)]
    items += [("outcomes", "Every outcome"), ("parameters", "Parameters and their sources")]
    links = "".join(f'<li><a href="#{a}">{_esc(h)}</a></li>' for a, h in items)
    return f'<nav><h2 id="contents">Contents</h2><ol>{links}</ol></nav>'


def _key_outcomes(rows) -> list[str]:
    """The short table a room reads first: the key outcomes in plain words (as ``tradesim run`` prints)."""
    by_name = {r.name: r for r in rows}
    parts = [
        '<h2 id="key-outcomes">Key outcomes</h2>',
        "<p>Median and 90% interval over replications; for shares of runs, the share of "
        'replications where it happens and its 90% interval. Every outcome is listed <a href="#outcomes">'
        "at the end</a>.</p>",
        "<table><tr><th>outcome</th><th>median</th><th>5%</th><th>95%</th></tr>",
    ]
    for name, label in KEY_OUTCOMES.items():
        r = by_name.get(name)
        if r is not None:
            parts.append(
                f"<tr><td>{_esc(label)}</td><td class=num>{_esc(r.median)}</td>"
                f"<td class=num>{_esc(r.low)}</td><td class=num>{_esc(r.high)}</td></tr>"
            )
    parts.append("</table>")
    return parts


def build_report(results: Results) -> str:
    """The HTML text of the report of one results folder."""
    manifest = results.manifest
    scenario = manifest["scenario"]
    spec = scenario_from_manifest(manifest)
    n = len(results.outcomes.get("rep", []))
    plots = sorted((results.folder / "plots").glob("*.png"))
    if not plots:
        plots = draw_default_plots(results)
    story = chapters(plots)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>tradesim report: {_esc(scenario['name'])}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{_esc(scenario['name'])}</h1>",
        f"<p>{_esc(scenario['description'])}</p>",
        f'<p class="meta">{n} replications · master seed {_esc(manifest["master_seed"])} · '
        f"tradesim {_esc(manifest.get('tradesim_version', '?'))} · simulated "
        f"{_esc(manifest['calendar']['start'])} to {_esc(manifest['calendar']['end'])}"
        + ("" if manifest.get("complete", True) else " · <strong>run interrupted: incomplete</strong>")
        + f" · report written {dt.date.today().isoformat()}</p>",
        _contents(story),
    ]
    rows = summarise(results)
    parts += _key_outcomes(rows)
    for anchor, heading, figures in story:
        parts.append(f'<h2 id="{anchor}">{_esc(heading)}</h2>')
        parts.extend(_image(path, text) for path, text in figures)
    parts += [
        '<h2 id="outcomes">Every outcome</h2>',
        "<p>Median and 90% interval over replications, by code name (the columns of "
        "<code>outcomes.csv</code>). Yes/no outcomes: share of replications and its 90% interval.</p>",
        "<table><tr><th>outcome</th><th>median</th><th>5%</th><th>95%</th><th>unit</th>"
        "<th>what it measures</th></tr>",
    ]
    for row in rows:
        parts.append(
            f"<tr><td>{_esc(row.name)}</td><td class=num>{_esc(row.median)}</td>"
            f"<td class=num>{_esc(row.low)}</td><td class=num>{_esc(row.high)}</td>"
            f"<td>{_esc(row.unit)}</td><td>{_esc(row.description)}</td></tr>"
        )
    parts.append("</table>")
    parts.append('<h2 id="parameters">Parameters and their sources</h2>')
    parts.append(
        "<p>Each replication draws its own value of every uncertain parameter. Sources: "
        "<code>fig:ID</code> is a figure from the source articles "
        "(<code>tradesim sources --figure ID</code>); otherwise an assumption or a what-if, "
        "with its reason.</p>"
    )
    parts.append("<table><tr><th>parameter</th><th>value or distribution</th><th>source</th></tr>")
    for path, dist in iter_parameters(spec):
        parts.append(
            f"<tr><td>{_esc(path)}</td><td>{_esc(dist.describe())}</td>"
            f'<td class="source">{_esc(dist.source or "-")}</td></tr>'
        )
    parts.append("</table></body></html>")
    return "\n".join(parts)


def write_text(path: Path, text: str) -> Path:
    """Write a report whole or not at all (a temporary name beside it, fsynced, renamed)."""
    write_bytes_atomic(path, text.encode("utf-8"))
    return path


def write_report(results: Results, path: Path | None = None) -> Path:
    """Write the report next to the tables (``report.html``), atomically."""
    return write_text(path or results.folder / "report.html", build_report(results))
