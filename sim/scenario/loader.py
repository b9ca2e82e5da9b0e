"""Finding, reading, merging and validating scenario files.

A scenario names its parent with ``extends`` and states only what differs.
Tables merge key by key; a parameter (a value or a ``{dist = ...}`` table) is
replaced whole. The loader remembers which file set each key, so an error
names the file where the offending key was written, not just the child that
was asked for.

Every problem becomes a :class:`ScenarioError` carrying the file, the dotted
key and what is allowed; the CLI prints those and exits with code 2.
"""

from __future__ import annotations

import datetime as dt
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.scenario.files import SCENARIO_DIR_ENV, list_scenarios, scenario_dirs  # noqa: F401 - re-exported
from sim.scenario.sampling import iter_parameters
from sim.scenario.schema import Scenario, is_param_table
from sim.scenario.sources import figure_id, load_registry

SOURCE_PREFIXES = ("fig:", "assumption:", "what-if:")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario file."""

    file: str
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.key}" if self.key else self.file
        return f"{where}: {self.message}"


class ScenarioError(Exception):
    """A scenario could not be loaded; holds every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario with where it came from."""

    spec: Scenario
    path: Path
    chain: tuple[Path, ...]  # the file itself first, then its ancestors
    raw: dict[str, Any] = field(repr=False)
    origins: dict[str, str] = field(repr=False)  # dotted key -> file that set it

    @property
    def name(self) -> str:
        return self.spec.name


def resolve_scenario_path(ref: str | Path, relative_to: Path | None = None) -> Path:
    """Find a scenario given a path or a bare name such as ``baseline``."""
    ref_path = Path(ref)
    candidates: list[Path] = []
    if relative_to is not None:
        candidates += [relative_to / ref_path, relative_to / f"{ref}.toml"]
    candidates += [ref_path]
    if ref_path.suffix != ".toml":
        candidates += [d / f"{ref}.toml" for d in scenario_dirs()]
    for c in candidates:
        if c.is_file():
            return c.resolve()
    names = ", ".join(p.stem for p in list_scenarios()) or "(none found)"
    raise ScenarioError(
        [Problem(str(ref), "", f"no such scenario file or name (scenarios available: {names})")]
    )


#: Longest chain of ``extends`` followed: far more than any real family of scenarios.
MAX_EXTENDS_DEPTH = 32
#: Characters of a wrong value echoed back in a message (a huge array is not printed whole).
MAX_ECHO_CHARS = 80


def echo(value: Any) -> str:
    """A value as an error message shows it: its repr, cut to ``MAX_ECHO_CHARS`` characters."""
    text = repr(value)
    return text if len(text) <= MAX_ECHO_CHARS else text[: MAX_ECHO_CHARS - 3] + "..."


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            [
                Problem(
                    str(path),
                    "",
                    f"is not UTF-8 text (byte {exc.start}): a scenario is a TOML file saved as UTF-8",
                )
            ]
        ) from None
    except OSError as exc:
        raise ScenarioError([Problem(str(path), "", f"cannot be read: {exc.strerror}")]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([Problem(str(path), "", f"not valid TOML: {exc}")]) from None


def _merge(base: dict, over: dict, origins: dict[str, str], file: str, prefix: str = "") -> dict:
    out = dict(base)
    for key, value in over.items():
        path = f"{prefix}{key}"
        if (
            isinstance(value, dict)
            and not is_param_table(value)
            and isinstance(out.get(key), dict)
            and not is_param_table(out[key])
        ):
            out[key] = _merge(out[key], value, origins, file, f"{path}.")
        else:
            out[key] = value
            _record_origin(value, origins, file, path)
    return out


def _record_origin(value: Any, origins: dict[str, str], file: str, path: str) -> None:
    origins[path] = file
    if isinstance(value, dict) and not is_param_table(value):
        for k, v in value.items():
            _record_origin(v, origins, file, f"{path}.{k}")


def _load_raw(path: Path, seen: tuple[Path, ...]) -> tuple[dict, dict[str, str], tuple[Path, ...]]:
    if path in seen:
        cycle = " -> ".join(str(p) for p in (*seen, path))
        raise ScenarioError(
            [Problem(str(path), "extends", f"scenarios extend each other in a cycle: {cycle}")]
        )
    if len(seen) >= MAX_EXTENDS_DEPTH:
        raise ScenarioError(
            [
                Problem(
                    str(seen[0]),
                    "extends",
                    f"a chain of more than {MAX_EXTENDS_DEPTH} scenarios extending each other "
                    f"(reached {path}); shorten it",
                )
            ]
        )
    data = _read_toml(path)
    parent_ref = data.get("extends")
    origins: dict[str, str] = {}
    if parent_ref is None:
        merged = _merge({}, data, origins, str(path))
        return merged, origins, (path,)
    if not isinstance(parent_ref, str):
        raise ScenarioError([Problem(str(path), "extends", "must be a scenario name or a path, as text")])
    try:
        parent_path = resolve_scenario_path(parent_ref, relative_to=path.parent)
    except ScenarioError:
        names = ", ".join(p.stem for p in list_scenarios()) or "(none found)"
        raise ScenarioError(
            [
                Problem(
                    str(path),
                    "extends",
                    f"parent scenario {parent_ref!r} not found (available: {names})",
                )
            ]
        ) from None
    parent, origins, chain = _load_raw(parent_path, (*seen, path))
    parent = {k: v for k, v in parent.items() if k not in ("name", "description", "extends", "draft")}
    merged = _merge(parent, data, origins, str(path))
    return merged, origins, (path, *chain)


def load_scenario(ref: str | Path) -> LoadedScenario:
    """Load, merge and validate a scenario by name or path; raise :class:`ScenarioError`."""
    path = resolve_scenario_path(ref)
    raw, origins, chain = _load_raw(path, ())
    raw.setdefault("name", path.stem)
    try:
        spec = Scenario.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(_problems_from(exc, origins, str(path))) from None
    problems = _source_problems(raw, origins, str(path)) + _domain_problems(spec, origins, str(path))
    if problems:
        raise ScenarioError(problems)
    return LoadedScenario(spec=spec, path=path, chain=chain, raw=raw, origins=origins)


# --- turning pydantic's errors into messages people can act on -------------------------------


def _clean_loc(loc: tuple) -> list[str]:
    """Drop pydantic's internal markers (union members, validator names) from a location."""
    return [str(p) for p in loc if not any(ch in str(p) for ch in "[](")]


def _model_at(model: type[BaseModel], parts: list[str]) -> type[BaseModel] | None:
    """The section model that a dotted location points into, for listing allowed keys."""
    current: Any = model
    i = 0
    while i < len(parts):
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        info = current.model_fields.get(parts[i])
        if info is None:
            return None
        current, skip = _unwrap(info.annotation)
        i += 1 + skip
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> tuple[Any, int]:
    """Peel Optional[...] and dict[str, X]; report how many key parts a dict consumes."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        return (models[0] if models else args[0]), 0
    if origin is dict:
        inner, skip = _unwrap(typing.get_args(annotation)[1])
        return inner, skip + 1
    return annotation, 0


def _origin_of(key: str, origins: dict[str, str], default: str) -> str:
    """The file that wrote ``key``: the scenario asked for, if it set anything under it."""
    below = {f for k, f in origins.items() if k == key or k.startswith(f"{key}.")}
    if default in below:
        return default
    parts = key.split(".")
    for n in range(len(parts), 0, -1):
        hit = origins.get(".".join(parts[:n]))
        if hit:
            return hit
    return default


def _problems_from(exc: ValidationError, origins: dict[str, str], default_file: str) -> list[Problem]:
    problems: list[Problem] = []
    for err in exc.errors():
        parts = _clean_loc(err["loc"])
        key = ".".join(parts) or "(top level)"
        kind = err["type"]
        # a top-level key (description, name) is never inherited: if it is missing, the file asked
        # for is the one that must say it, not the parent it extends
        file = (
            default_file if kind == "missing" and len(parts) == 1 else _origin_of(key, origins, default_file)
        )
        if kind == "extra_forbidden":
            parent = _model_at(Scenario, parts[:-1])
            allowed = ", ".join(parent.model_fields) if parent else "see the baseline scenario"
            message = f"unknown key (allowed here: {allowed})"
        elif kind == "missing":
            message = "required key is missing"
        else:
            message = str(err["msg"]).removeprefix("Value error, ")
            given = err.get("input")
            if kind not in ("value_error",) and not isinstance(given, dict):
                message += f" (got {echo(given)})"
        problems.append(Problem(file, key, message))
    # pydantic reports a bad union member once per alternative; keep one of each
    unique: dict[tuple[str, str], Problem] = {}
    for p in problems:
        unique.setdefault((p.file, p.key), p)
    return list(unique.values())


def _source_problems(raw: dict, origins: dict[str, str], default_file: str) -> list[Problem]:
    """Sources must be a known figure id, an assumption or a what-if, each with its reason."""

    known = set(load_registry().figures)
    problems: list[Problem] = []

    def walk(node: Any, prefix: str) -> None:
        if is_param_table(node):
            source = node.get("source")
            if source is None:
                return

            def file() -> str:  # only when there is a problem: it scans every key (~2,000 a scenario)
                return _origin_of(prefix, origins, default_file)

            if not isinstance(source, str) or not source.startswith(SOURCE_PREFIXES):
                problems.append(
                    Problem(
                        file(),
                        f"{prefix}.source",
                        "must start with 'fig:', 'assumption:' or 'what-if:'",
                    )
                )
            elif source.startswith("fig:"):
                fig = figure_id(source)
                if fig not in known:
                    problems.append(
                        Problem(
                            file(),
                            f"{prefix}.source",
                            f"unknown figure id {fig!r} (see `tradesim sources`)",
                        )
                    )
            elif not source.split(":", 1)[1].strip():
                problems.append(
                    Problem(file(), f"{prefix}.source", "an assumption or what-if needs its reason")
                )
            return
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{prefix}.{k}" if prefix else k)

    walk(raw, "")
    return problems


def _domain_problems(spec: Scenario, origins: dict[str, str], default_file: str) -> list[Problem]:
    """What the schema's types cannot see: every parameter has a source (unless the file is a
    ``draft``), dates lie inside the simulated period, and no pair is correlated twice."""
    problems: list[Problem] = []
    start, end = spec.calendar.start, spec.calendar.end
    for path, param in iter_parameters(spec):
        if not param.source and not spec.draft:
            problems.append(
                Problem(
                    _origin_of(path, origins, default_file),
                    path,
                    'has no source: add source = "fig:ID" (see `tradesim sources`), '
                    '"assumption: why" or "what-if: why" (or mark the file draft = true '
                    "while you experiment)",
                )
            )
        low, high = param.support()
        if isinstance(low, dt.date) and isinstance(high, dt.date) and (low < start or high > end):
            problems.append(
                Problem(
                    _origin_of(path, origins, default_file),
                    path,
                    f"{param.describe()} reaches outside the simulated period {start} to {end} "
                    "([calendar] start and end)",
                )
            )
    seen_pairs: dict[frozenset[str], float] = {}
    for i, corr in enumerate(spec.correlations):
        pair = frozenset(corr.between)
        if pair in seen_pairs:
            problems.append(
                Problem(
                    _origin_of("correlations", origins, default_file),
                    f"correlations[{i}]",
                    f"{' and '.join(sorted(pair))} are already correlated (rank {seen_pairs[pair]}); "
                    "give each pair once",
                )
            )
        seen_pairs.setdefault(pair, corr.rank)
    return problems
