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
import os
from pathlib import Path

from sim.plots.charts import draw_default_plots
from sim.results.folder import Results, scenario_from_manifest
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


def _image(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<figure><img alt="{_esc(path.stem)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{_esc(path.name)}</figcaption></figure>"
    )


def build_report(results: Results) -> str:
    """The HTML text of the report of one results folder."""
    manifest = results.manifest
    scenario = manifest["scenario"]
    spec = scenario_from_manifest(manifest)
    n = len(results.outcomes.get("rep", []))
    plots = sorted((results.folder / "plots").glob("*.png"))
    if not plots:
        plots = draw_default_plots(results)
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
        "<h2>Outcomes</h2>",
        "<p>Median and 90% interval over replications. Yes/no outcomes: share of replications "
        "and its 90% interval.</p>",
        "<table><tr><th>outcome</th><th>median</th><th>5%</th><th>95%</th><th>unit</th>"
        "<th>what it measures</th></tr>",
    ]
    for row in summarise(results):
        parts.append(
            f"<tr><td>{_esc(row.name)}</td><td class=num>{_esc(row.median)}</td>"
            f"<td class=num>{_esc(row.low)}</td><td class=num>{_esc(row.high)}</td>"
            f"<td>{_esc(row.unit)}</td><td>{_esc(row.description)}</td></tr>"
        )
    parts.append("</table>")
    parts.append("<h2>Figures</h2>")
    parts.extend(_image(p) for p in plots)
    parts.append("<h2>Parameters and their sources</h2>")
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


def write_report(results: Results, path: Path | None = None) -> Path:
    """Write the report next to the tables (``report.html``), atomically."""
    path = path or results.folder / "report.html"
    text = build_report(results)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path
