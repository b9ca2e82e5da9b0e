"""Tables as the room reads them: every figure whole at any width, plain text only, or CSV/JSON.

Every table a command prints is a :class:`Grid` handed to :func:`emit`. In the
default ``table`` format it is laid out for the console's width: columns side by
side when they fit (prose columns wrap, figures never do), otherwise each row is
stacked as ``column: value`` lines, so no number or column header is ever cut to
a stub, in a terminal or piped. ``--format csv`` and ``--format json`` give the
same figures to a machine on stdout (JSON: one object per table, one per line).

Text that comes from files (scenario descriptions, names, labels, sources) is
printed as plain text: never read as Rich markup, with control characters such
as ANSI escapes shown escaped (:func:`clean`).
"""

from __future__ import annotations

import csv
import io
import json
import math
import textwrap
from dataclasses import dataclass, field

from rich.console import Console
from rich.text import Text

FORMATS = ("table", "csv", "json")
GAP = 2  # spaces between columns
MAX_ECHO = 300  # characters of a value an error message repeats


# --- text from files ---------------------------------------------------------------------------


def clean(text: object, keep_newlines: bool = True) -> str:
    """``text`` safe to print: control and formatting characters (ANSI escapes, bidi overrides) escaped."""
    out = []
    for ch in str(text):
        if ch == "\n" and keep_newlines:
            out.append(ch)
        elif ch == "\t":
            out.append(" ")
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(ch.encode("unicode_escape").decode("ascii"))
    return "".join(out)


def bounded(text: object, limit: int = MAX_ECHO) -> str:
    """``text`` cleaned and cut to ``limit`` characters, saying how long it was (for error messages)."""
    s = clean(text)
    return s if len(s) <= limit else f"{s[:limit]}… ({len(s):,} characters in all)"


# --- one rule for numbers ----------------------------------------------------------------------


def number(value: float | int | None, signed: bool = False, decimals: int | None = None) -> str:
    """A figure as every table writes it: whole numbers without decimals, else 3 significant digits.

    ``-`` when missing; thousands separated by commas; ``decimals`` forces a precision (to keep
    the cells of one row alike).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    v = float(value)
    if math.isinf(v):
        return ("+" if signed and v > 0 else "") + ("inf" if v > 0 else "-inf")
    if decimals is None:
        decimals = decimals_of(v)
    sign = "+" if signed else ""
    text = f"{v:{sign},.{decimals}f}"
    if text.lstrip("+-").strip("0.,") == "" and v != 0 and decimals < 6:
        return number(v, signed, decimals_of(v, digits=1))  # a small value never shows as 0.00
    return text


def decimals_of(value: float, digits: int = 3) -> int:
    """Decimals giving ``digits`` significant digits (none for whole numbers or values of 100 and more)."""
    v = abs(value)
    if v == 0 or v >= 100 or float(value).is_integer():
        return 0
    return max(0, digits - 1 - math.floor(math.log10(v)))


def percent(share: float, signed: bool = False) -> str:
    """A share (0-1) as a percentage, written once with its sign: ``30%``, ``7.5%``, ``0.4%``."""
    if share is None or math.isnan(share):
        return "-"
    pct = 100 * share
    if abs(round(pct, 1)) >= 10 or float(pct).is_integer():  # 9.99% reads 10%, like its neighbours
        decimals = 0
    elif abs(pct) >= 1:
        decimals = 1
    else:
        decimals = decimals_of(pct, 1)
    return number(pct, signed, decimals) + "%"


def unit_after(value_text: str, unit: str) -> str:
    """The unit to print beside a value, without repeating a percent sign the value already has."""
    if value_text.endswith("%") and unit.startswith("%"):
        rest = unit[1:].strip()
        return rest or ""
    return unit


# --- tables ------------------------------------------------------------------------------------


@dataclass
class Column:
    """A column: its header, its name for machines, and whether its cells are prose (wrapped)."""

    header: str
    key: str = ""
    prose: bool = False  # wrapped to fit; figures, names and dates never are
    left: bool = False  # names and labels: aligned left (figures: right)
    paired: bool = False  # each header line names the cell's line below it ("figure\nreliability")

    def __post_init__(self):
        self.header = clean(self.header)
        self.key = self.key or self.header.replace("\n", " ")


@dataclass
class Grid:
    """A table: rows of text cells (a cell's lines separated by newlines), for :func:`emit`."""

    title: str
    columns: list[Column]
    caption: str = ""
    rows: list[list[str]] = field(default_factory=list)
    records: list[dict] = field(default_factory=list)  # what csv/json get; default: the cells
    breaks: set[int] = field(default_factory=set)  # rows after which a section ends

    def __post_init__(self):
        self.title, self.caption = clean(self.title), clean(self.caption)

    def add(self, *cells: object, record: dict | None = None, end_section: bool = False) -> None:
        """One row; ``record`` gives machines typed values instead of the cells' text."""
        if len(cells) != len(self.columns):
            raise ValueError(f"{len(cells)} cells for {len(self.columns)} columns")
        row = [clean("" if c is None else c) for c in cells]
        self.rows.append(row)
        self.records.append(
            record
            if record is not None
            else {col.key: " ".join(c.split("\n")) for col, c in zip(self.columns, row, strict=True)}
        )
        if end_section:
            self.breaks.add(len(self.rows) - 1)


def _lines(text: str) -> list[str]:
    return text.split("\n") if text else [""]


def _natural(column: Column, cells: list[str]) -> int:
    return max(len(line) for text in [column.header, *cells] for line in _lines(text))


def _least(column: Column, cells: list[str]) -> int:
    """The narrowest a column may get: a prose column no narrower than its longest word (up to 40) or 16."""
    natural = _natural(column, cells)
    if not column.prose:
        return natural
    words = [len(w) for text in [column.header, *cells] for w in text.split()] or [1]
    return min(natural, max(min(max(words), 40), 16))


def widths(grid: Grid, width: int, gap: int = GAP) -> list[int] | None:
    """Column widths that fit ``width`` with every figure whole, or None (stack the rows instead)."""
    cols = list(zip(*grid.rows, strict=True)) if grid.rows else [[] for _ in grid.columns]
    natural = [_natural(c, list(cells)) for c, cells in zip(grid.columns, cols, strict=True)]
    least = [_least(c, list(cells)) for c, cells in zip(grid.columns, cols, strict=True)]
    room = width - gap * (len(natural) - 1)
    if sum(natural) <= room:
        return natural
    if sum(least) > room:
        return None
    out = list(least)
    spare = room - sum(least)
    want = [n - m for n, m in zip(natural, least, strict=True)]
    total = sum(want)
    for i, w in enumerate(want):
        out[i] += spare * w // total if total else 0
    return out


def _wrap(text: str, width: int) -> list[str]:
    lines = []
    for line in _lines(text):
        lines.extend(textwrap.wrap(line, width, break_on_hyphens=False) or [""])
    return lines


def layout(grid: Grid, width: int) -> list[tuple[str, str]]:
    """The table as (line, style) pairs for a console ``width`` columns wide."""
    out: list[tuple[str, str]] = []
    for line in _wrap(grid.title, width) if grid.title else []:
        out.append((line, "bold"))
    for gap in (GAP, 1):  # one space between columns before giving up on side by side
        sizes = widths(grid, width, gap)
        if sizes is not None:
            out.extend(_side_by_side(grid, sizes, gap))
            break
    else:
        out.extend(_stacked(grid, width))
    for line in _wrap(grid.caption, width) if grid.caption else []:
        out.append((line, "dim"))
    return out


def _cell_lines(grid: Grid, row: list[str], sizes: list[int], gap: int = GAP) -> list[str]:
    cells = []
    for i, (col, text, size) in enumerate(zip(grid.columns, row, sizes, strict=True)):
        lines = _wrap(text, size) if col.prose else _lines(text)
        left = i == 0 or col.prose or col.left
        cells.append([line.ljust(size) if left else line.rjust(size) for line in lines])
    height = max(len(c) for c in cells)
    return [
        (" " * gap).join(c[k] if k < len(c) else " " * s for c, s in zip(cells, sizes, strict=True)).rstrip()
        for k in range(height)
    ]


def _side_by_side(grid: Grid, sizes: list[int], gap: int = GAP) -> list[tuple[str, str]]:
    header = Grid("", grid.columns)
    out = [(line, "bold") for line in _cell_lines(header, [c.header for c in grid.columns], sizes, gap)]
    rule = "─" * (sum(sizes) + gap * (len(sizes) - 1))
    out.append((rule, "dim"))
    for i, row in enumerate(grid.rows):
        out.extend((line, "") for line in _cell_lines(grid, row, sizes, gap))
        if i in grid.breaks and i + 1 < len(grid.rows):
            out.append((rule, "dim"))
    return out


def _stacked(grid: Grid, width: int) -> list[tuple[str, str]]:
    """Too wide side by side: each row as its first cell, then one ``column: value`` line per column.

    A figure cell's lines go on one line (two spaces apart) when they fit; empty cells are left out.
    """
    out: list[tuple[str, str]] = [("", "")]
    for row in grid.rows:
        first = _lines(row[0])
        if grid.columns[0].prose:  # wrapped between words; a long name stays whole
            first = [x for line in first for x in textwrap.wrap(line, width, break_long_words=False) or [""]]
        for line in first:
            out.append((line, "bold"))
        for col, text in zip(grid.columns[1:], row[1:], strict=True):
            if not text:
                continue
            names, values = _lines(col.header), _lines(text)
            if col.paired and len(names) == len(values):  # stacked, each line keeps its own name
                out.extend((f"  {name}: {value}", "") for name, value in zip(names, values, strict=True))
                continue
            label = "  " + " ".join(_lines(col.header)) + ": "
            lines = _wrap(text, max(20, width - 4)) if col.prose else _lines(text)
            joined = "  ".join(lines)
            if not col.prose and len(label) + len(joined) <= width:
                lines = [joined]
            if len(label) + max(len(x) for x in lines) <= width:
                out.append((label + lines[0], ""))
                out.extend((" " * len(label) + x, "") for x in lines[1:])
            else:
                out.append((label.rstrip(), ""))
                out.extend(("    " + x, "") for x in lines)
        out.append(("", ""))
    return out


def render(grid: Grid, fmt: str, width: int) -> str:
    """The grid as text in one of :data:`FORMATS`."""
    if fmt == "csv":
        buffer = io.StringIO()
        keys = list(dict.fromkeys(k for record in grid.records for k in record)) or [
            c.key for c in grid.columns
        ]
        writer = csv.DictWriter(buffer, keys, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(grid.records)
        return buffer.getvalue()
    if fmt == "json":
        return json.dumps({"table": grid.title, "rows": grid.records}, ensure_ascii=False, default=str) + "\n"
    return "\n".join(line for line, _ in layout(grid, width)) + "\n"


def emit(grid: Grid, fmt: str, console: Console) -> None:
    """Print the grid on ``console`` in format ``fmt`` (``table``: styled, laid out for its width)."""
    if fmt != "table":
        console.file.write(render(grid, fmt, console.width))
        console.file.flush()
        return
    for line, style in layout(grid, console.width):
        console.print(Text(line, style=style), soft_wrap=True, no_wrap=True, overflow="ignore")
    console.print()
