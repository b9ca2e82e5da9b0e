"""What the typed parameters of a replication are made of: frozen sections and tables.

A replication's drawn parameters (:mod:`sim.scenario.params`, generated from the
schema) are frozen, slotted dataclasses, one class per schema section. They are
read by attribute (``params.licensing.arrivals_per_day``), so an editor and a
type checker can follow every read, and a misspelt name fails at once with the
section's allowed fields. They can also be read as read-only mappings
(``p.approval_probability["auto"]``, ``change.get("fast_track")``,
``dict(p.sector_share)``, iteration over fields), the way the model read the
untyped :class:`~sim.scenario.sampling.ParamTree` they replace.

Tables keyed by a name the scenario chooses (a timeline's events, the decision
points) are a :class:`ParamTable`: a frozen mapping whose entries can also be
read by attribute (``timeline.london.date``).

Parameters never change once drawn. To run a replication with some values
replaced (tests, benchmarks), :func:`with_changes` returns a new tree.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any, ClassVar, TypeVar

T = TypeVar("T")

_FROZEN = (
    "drawn parameters are frozen: replace values with "
    "sim.scenario.param_types.with_changes(params, {'section.name': value}) "
    "or simulate(..., changes=...)"
)


class ParamSection(Mapping[str, Any]):
    """Base of every generated parameter section: read by attribute or, read-only, as a mapping."""

    __slots__ = ("_path",)

    #: the schema class (in :mod:`sim.scenario.schema`) this section is generated from
    _schema: ClassVar[str] = ""

    def __getattr__(self, name: str) -> Any:
        # Only reached when ``name`` is not a field: a misspelt parameter, or a probe
        # (copy, pickle) for an optional hook, which must get a plain AttributeError.
        if name.startswith("_"):
            raise AttributeError(name)
        raise AttributeError(self._unknown(name))

    def _unknown(self, name: str) -> str:
        where = getattr(self, "_path", None) or type(self).__name__
        return (
            f"{where} (scenario section {self._schema}) has no parameter {name!r}; "
            f"its fields are: {', '.join(self._fields())}"
        )

    @classmethod
    def _fields(cls) -> tuple[str, ...]:
        return _field_names(cls)

    # --- read-only mapping over the fields --------------------------------------------------

    def __getitem__(self, name: str) -> Any:
        if name not in _field_set(type(self)):
            raise KeyError(self._unknown(name))
        return getattr(self, name)

    def __iter__(self) -> Iterator[str]:
        return iter(_field_names(type(self)))

    def __len__(self) -> int:
        return len(_field_names(type(self)))

    def __contains__(self, name: object) -> bool:
        return name in _field_set(type(self))

    def __setitem__(self, name: str, value: Any) -> None:
        raise TypeError(_FROZEN)

    # Immutable all the way down: a copy can be the object itself (a forked
    # replication shares its parameters with the original).
    def __copy__(self) -> ParamSection:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> ParamSection:
        return self


class ParamTable(Mapping[str, T]):
    """Entries keyed by a name the scenario chooses (timeline events, decision points); frozen.

    Entries read by key or by attribute: ``timeline["london"]`` or ``timeline.london``.
    """

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, T] | None = None):
        object.__setattr__(self, "_items", dict(items or {}))

    def __getattr__(self, name: str) -> T:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._items[name]
        except KeyError:
            raise AttributeError(self._unknown(name)) from None

    def _unknown(self, name: str) -> str:
        return f"no entry {name!r} in this table; its entries are: {', '.join(self._items) or 'none'}"

    def __getitem__(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            raise KeyError(self._unknown(name)) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __repr__(self) -> str:
        return f"ParamTable({self._items!r})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise TypeError(_FROZEN)

    def __setitem__(self, name: str, value: Any) -> None:
        raise TypeError(_FROZEN)

    def __reduce__(self) -> tuple[Any, ...]:
        return (ParamTable, (self._items,))

    def __copy__(self) -> ParamTable[T]:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> ParamTable[T]:
        return self


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


@cache
def _field_set(cls: type) -> frozenset[str]:
    return frozenset(_field_names(cls))


# --- the shape of a section's fields, from the generated annotations -------------------------


@dataclasses.dataclass(frozen=True)
class Shape:
    """What one field of a section holds: a value, a section, a table of sections or a tuple of them."""

    kind: typing.Literal["value", "section", "table", "tuple"]
    section: type[ParamSection] | None = None


@cache
def shapes(cls: type[ParamSection]) -> dict[str, Shape]:
    """Each field's shape, read from the generated class's annotations."""
    hints = typing.get_type_hints(cls)
    return {name: _shape(hints[name]) for name in _field_names(cls)}


def _shape(hint: Any) -> Shape:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _shape(inner[0]) if len(inner) == 1 else Shape("value")
    if isinstance(hint, type) and issubclass(hint, ParamSection):
        return Shape("section", hint)
    if origin is ParamTable:
        return Shape("table", typing.get_args(hint)[0])
    if origin is tuple:
        args = typing.get_args(hint)
        item = args[0] if len(args) == 2 and args[1] is Ellipsis else None
        if isinstance(item, type) and issubclass(item, ParamSection):
            return Shape("tuple", item)
    return Shape("value")


def as_section(cls: type[ParamSection], value: Any, path: str = "") -> ParamSection:
    """``value`` as a section of class ``cls``: itself if it is one, else built from a mapping of fields."""
    if isinstance(value, cls):
        return value
    if not isinstance(value, Mapping):
        raise TypeError(f"{path or cls.__name__}: expected a {cls.__name__} or a mapping, got {value!r}")
    unknown = set(value) - _field_set(cls)
    if unknown:
        raise KeyError(
            f"{path or cls.__name__} (scenario section {cls._schema}) has no parameter "
            f"{sorted(unknown)[0]!r}; its fields are: {', '.join(_field_names(cls))}"
        )
    kinds = shapes(cls)
    fields = {
        name: _as_shape(kinds[name], item, f"{path}.{name}" if path else name) for name, item in value.items()
    }
    return cls(**fields)


def _as_shape(shape: Shape, value: Any, path: str) -> Any:
    if value is None or shape.section is None:
        return value
    if shape.kind == "section":
        return as_section(shape.section, value, path)
    if shape.kind == "table":
        return ParamTable({k: as_section(shape.section, v, f"{path}.{k}") for k, v in value.items()})
    return tuple(as_section(shape.section, v, f"{path}[{i}]") for i, v in enumerate(value))


def with_changes(params: ParamSection, changes: Mapping[str, Any]) -> ParamSection:
    """A copy of ``params`` with values replaced by dotted path (``"licensing.review.fast_track"``).

    A path may end at a whole section or table (given as a mapping of its fields
    or entries). A path that names no field raises, listing the fields there.
    """
    for path, value in changes.items():
        params = _replace(params, path.split("."), value, "")
    return params


def _replace(node: Any, parts: list[str], value: Any, where: str) -> Any:
    head, rest = parts[0], parts[1:]
    here = f"{where}.{head}" if where else head
    if isinstance(node, ParamTable):
        if head not in node:
            raise KeyError(node._unknown(head))
        items = dict(node)
        old = node[head]
        if rest:
            items[head] = _replace(old, rest, value, here)
        else:  # a whole entry: a mapping of its fields becomes a section like the one it replaces
            items[head] = as_section(type(old), value, here) if isinstance(old, ParamSection) else value
        return ParamTable(items)
    if not isinstance(node, ParamSection):
        raise KeyError(f"{where or 'params'} is a value, not a section: cannot set {'.'.join(parts)!r} in it")
    if head not in node:
        raise KeyError(node._unknown(head))
    if rest:
        new = _replace(getattr(node, head), rest, value, here)
    else:
        new = _as_shape(shapes(type(node))[head], value, here)
    return _with_path(dataclasses.replace(node, **{head: new}), getattr(node, "_path", None))


def _with_path(section: ParamSection, path: str | None) -> ParamSection:
    if path is not None:
        object.__setattr__(section, "_path", path)
    return section


def as_dict(node: Any) -> Any:
    """Sections and tables as plain nested dicts (for printing, comparing, or JSON)."""
    if isinstance(node, ParamSection | ParamTable):
        return {name: as_dict(value) for name, value in node.items()}
    if isinstance(node, tuple):
        return [as_dict(v) for v in node]
    return node


# --- building a replication's tree from its drawn values ----------------------------------------


class OutOfDateError(RuntimeError):
    """The generated parameter classes do not match the scenario schema."""


REGENERATE = "python -m sim.scenario.typed_params --write"


def builder(cls: type[ParamSection], spec: Any, path: str = "params", prefix: str = "") -> Any:
    """A function from drawn values (by dotted path) to a section of class ``cls`` shaped like ``spec``.

    ``spec`` is the validated scenario section (pydantic). Its distributions
    become reads of the drawn value at their dotted path; its settings (labels,
    calendar dates, structural counts) are fixed for every replication, and so
    is a section that holds nothing but settings, built once. Worked out once
    per scenario (see :func:`sim.scenario.sampling.draw_parameters`).
    """
    from sim.scenario.distributions import Dist

    dists = typing.get_args(Dist)
    declared = set(type(spec).model_fields)
    if declared != _field_set(cls):
        raise OutOfDateError(
            f"{cls.__module__}.{cls.__name__} does not match scenario section {type(spec).__name__} "
            f"(only in the schema: {sorted(declared - _field_set(cls))}; only in the generated "
            f"class: {sorted(_field_set(cls) - declared)}): run `{REGENERATE}`"
        )
    kinds = shapes(cls)
    parts: list[tuple[str, bool, Any]] = []  # (field, drawn?, getter or constant)
    for name in _field_names(cls):
        value = getattr(spec, name)
        here, dotted = f"{path}.{name}", f"{prefix}{name}"
        shape = kinds[name]
        if isinstance(value, dists):
            parts.append((name, True, _Drawn(dotted)))
        elif shape.kind == "section" and value is not None:
            parts.append(_part(name, builder(shape.section, value, here, f"{dotted}.")))
        elif shape.kind == "table" and value is not None:
            built = {
                key: builder(shape.section, item, f"{here}.{key}", f"{dotted}.{key}.")
                for key, item in value.items()
            }
            # Entries with a drawn value come first, then those of settings only, each in the
            # scenario's order: the order the untyped tree (ParamTree) had, so code that takes
            # the first match in a table finds what it found before.
            entries = {key: b for key, b in built.items() if b.drawn}
            entries |= {key: b for key, b in built.items() if not b.drawn}
            parts.append(_part(name, _Table(entries)))
        elif shape.kind == "tuple" and value is not None:
            items = [
                builder(shape.section, item, f"{here}[{i}]", f"{dotted}.{i}.") for i, item in enumerate(value)
            ]
            parts.append(_part(name, _Tuple(items)))
        else:
            parts.append((name, False, tuple(value) if isinstance(value, list) else value))
    build = _Section(cls, path, parts)
    return build if build.drawn else _Constant(build({}))


def _part(name: str, build: Any) -> tuple[str, bool, Any]:
    """A field built per replication, or once when nothing under it is drawn."""
    return (name, True, build) if build.drawn else (name, False, build({}))


class _Drawn:
    __slots__ = ("drawn", "path")

    def __init__(self, path: str):
        self.path, self.drawn = path, True

    def __call__(self, values: Mapping[str, Any]) -> Any:
        return values[self.path]


class _Constant:
    __slots__ = ("drawn", "value")

    def __init__(self, value: Any):
        self.value, self.drawn = value, False

    def __call__(self, values: Mapping[str, Any]) -> Any:
        return self.value


class _Section:
    __slots__ = ("cls", "drawn", "parts", "path")

    def __init__(self, cls: type[ParamSection], path: str, parts: list[tuple[str, bool, Any]]):
        self.cls, self.path, self.parts = cls, path, parts
        self.drawn = any(drawn for _, drawn, _ in parts)

    def __call__(self, values: Mapping[str, Any]) -> ParamSection:
        section = self.cls(**{name: (get(values) if drawn else get) for name, drawn, get in self.parts})
        object.__setattr__(section, "_path", self.path)
        return section


class _Table:
    __slots__ = ("drawn", "entries")

    def __init__(self, entries: dict[str, Any]):
        self.entries = entries
        self.drawn = any(build.drawn for build in entries.values())

    def __call__(self, values: Mapping[str, Any]) -> ParamTable[Any]:
        return ParamTable({key: build(values) for key, build in self.entries.items()})


class _Tuple:
    __slots__ = ("drawn", "items")

    def __init__(self, items: list[Any]):
        self.items = items
        self.drawn = any(build.drawn for build in items)

    def __call__(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(build(values) for build in self.items)
