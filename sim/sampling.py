"""From a validated scenario to the parameter values of one replication.

Every parameter of a scenario has a dotted path (``licensing.review.mean_review_days``,
``licensing.timeline.london.review_capacity_per_day``). A replication draws one
value per path by inverse CDF from its own uniform number (:mod:`sim.streams`),
so replication *i* of two scenarios gets the same quantile of every parameter
they share. The drawn values come back as a :class:`ParamTree` that the model
reads by attribute, mirroring the scenario's sections.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import BaseModel

from sim.distributions import Dist, Fixed
from sim.scenario import Scenario
from sim.streams import Streams

_DIST_TYPES = tuple(t for t in Dist.__args__)  # type: ignore[attr-defined]


def iter_parameters(spec: BaseModel, prefix: str = "") -> Iterator[tuple[str, Dist]]:
    """Every parameter of a scenario (or a section of one) with its dotted path."""
    for name in type(spec).model_fields:
        value = getattr(spec, name)
        path = f"{prefix}{name}"
        if isinstance(value, _DIST_TYPES):
            yield path, value
        elif isinstance(value, BaseModel):
            yield from iter_parameters(value, f"{path}.")
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, BaseModel):
                    yield from iter_parameters(item, f"{path}.{key}.")


def uncertain_parameters(spec: Scenario) -> dict[str, Dist]:
    """The parameters that differ between replications."""
    return {path: p for path, p in iter_parameters(spec) if p.is_uncertain}


class ParamTree(dict):
    """Drawn parameter values, read by attribute: ``params.licensing.review.fast_track``."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _nest(flat: Mapping[str, Any], sections: Mapping[str, Any]) -> ParamTree:
    """Dotted paths to a tree; settings (labels, calendar) never overwrite drawn values."""
    tree = ParamTree()
    for overwrite, items in ((True, flat), (False, sections)):
        for path, value in items.items():
            *parents, leaf = path.split(".")
            node = tree
            for part in parents:
                node = node.setdefault(part, ParamTree())
            if overwrite:
                node[leaf] = value
            else:
                node.setdefault(leaf, value)
    return tree


def _settings(spec: BaseModel, prefix: str = "") -> dict[str, Any]:
    """Non-parameter fields (dates of the calendar, labels) by dotted path."""
    out: dict[str, Any] = {}
    for name in type(spec).model_fields:
        value = getattr(spec, name)
        path = f"{prefix}{name}"
        if isinstance(value, _DIST_TYPES):
            continue
        if isinstance(value, BaseModel):
            out.update(_settings(value, f"{path}."))
        elif isinstance(value, dict):
            if not value:
                out[path] = ParamTree()  # an empty table (a timeline with no events)
            for key, item in value.items():
                if isinstance(item, BaseModel):
                    out.update(_settings(item, f"{path}.{key}."))
        else:
            out[path] = value
    return out


def draw_flat(
    spec: Scenario, streams: Streams, overrides: Mapping[str, float] | None = None
) -> dict[str, Any]:
    """One value per parameter for this replication, by dotted path.

    ``overrides`` gives the uniform number to use for some paths (designed
    experiments: Latin hypercube, Sobol); the others come from the replication's
    own parameter stream.
    """
    values: dict[str, Any] = {}
    for path, dist in iter_parameters(spec):
        if isinstance(dist, Fixed):
            values[path] = dist.value
            continue
        u = overrides[path] if overrides and path in overrides else streams.parameter_uniform(path)
        values[path] = dist.ppf(u)
    return values


def draw_parameters(
    spec: Scenario, streams: Streams, overrides: Mapping[str, float] | None = None
) -> tuple[ParamTree, dict[str, Any]]:
    """Drawn values as a tree for the model, and flat (dotted paths) for the results table."""
    flat = draw_flat(spec, streams, overrides)
    return _nest(flat, _settings(spec)), flat
