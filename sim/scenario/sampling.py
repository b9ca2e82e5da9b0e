"""From a validated scenario to the parameter values of one replication.

Every parameter of a scenario has a dotted path (``licensing.review.mean_review_days``,
``licensing.timeline.london.review_capacity_per_day``). A replication draws one
value per path by inverse CDF from its own uniform number (:mod:`sim.core.streams`),
so replication *i* of two scenarios gets the same quantile of every parameter
they share. The drawn values come back as a typed, frozen
:class:`~sim.scenario.params.Params` (generated from the schema) that the model
reads by attribute, mirroring the scenario's sections.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from sim.scenario.distributions import Dist, Fixed
from sim.scenario.param_types import builder
from sim.scenario.params import Params

if TYPE_CHECKING:  # annotations only: the schema imports this module to check correlations
    import numpy as np

    from sim.core.streams import Streams
    from sim.scenario.schema import Scenario

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
    """A few values read by attribute, built by hand: ``ParamTree(green_channel=True)``.

    Drawn parameters are a typed :class:`~sim.scenario.params.Params`; a
    ParamTree is for a policy change made on the fly (a game's move, a test),
    which the model reads the same way as a timeline event.
    """

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def draw_flat(
    spec: Scenario, streams: Streams, overrides: Mapping[str, float] | None = None
) -> dict[str, Any]:
    """One value per parameter for this replication, by dotted path.

    ``overrides`` gives the uniform number to use for some paths (designed
    experiments: Latin hypercube, Sobol); the others come from the replication's
    own parameter stream.
    """
    dists = dict(_layout(spec)[0])
    values: dict[str, Any] = {path: d.value for path, d in dists.items() if isinstance(d, Fixed)}
    drawn = [path for path, d in dists.items() if not isinstance(d, Fixed)]
    own = [path for path in drawn if not (overrides and path in overrides)]
    uniforms = dict(zip(own, streams.parameter_uniforms(own).tolist(), strict=True))
    if overrides:
        uniforms |= {path: overrides[path] for path in drawn if path in overrides}
    correlations = getattr(spec, "correlations", None)
    if correlations:
        uniforms.update(correlate(uniforms, correlations))
    for path, u in uniforms.items():
        values[path] = dists[path].ppf(u)
    return {path: values[path] for path in dists}


def correlation_matrix(correlations) -> tuple[list[str], np.ndarray]:
    """Parameters involved and the Gaussian-copula correlation matrix giving the rank correlations.

    For a Gaussian copula, Spearman's rho_s corresponds to a normal correlation of
    2 sin(pi rho_s / 6). Raises ValueError when the matrix is not positive definite.
    """
    names = sorted({p for c in correlations for p in c.between})
    index = {p: i for i, p in enumerate(names)}
    import numpy as np  # here, not at import: `tradesim list` loads scenarios without numpy

    matrix = np.eye(len(names))
    for c in correlations:
        i, j = index[c.between[0]], index[c.between[1]]
        matrix[i, j] = matrix[j, i] = 2.0 * np.sin(np.pi * c.rank / 6.0)
    if np.linalg.eigvalsh(matrix).min() <= 1e-10:
        raise ValueError("the correlations cannot all hold at once (their matrix is not positive definite)")
    return names, matrix


def correlate(uniforms: Mapping[str, float], correlations) -> dict[str, float]:
    """Correlated uniforms for the parameters named in ``correlations`` (Gaussian copula)."""
    names, matrix = correlation_matrix(correlations)
    import numpy as np
    from scipy.special import ndtr, ndtri  # only correlated scenarios need it

    z = ndtri(np.array([uniforms[p] for p in names]))
    joined = ndtr(np.linalg.cholesky(matrix) @ z)
    joined[0] = uniforms[names[0]]  # the Cholesky factor's first row is (1, 0, ...): exact, not round-tripped
    return dict(zip(names, joined.tolist(), strict=True))


def draw_parameters(
    spec: Scenario, streams: Streams, overrides: Mapping[str, float] | None = None
) -> tuple[Params, dict[str, Any]]:
    """Drawn values as typed parameters for the model, and flat (dotted paths) for the results table."""
    flat = draw_flat(spec, streams, overrides)
    return build_params(spec, flat), flat


def build_params(spec: Scenario, flat: Mapping[str, Any]) -> Params:
    """The typed parameters of a replication from its drawn values by dotted path (see ``draw_flat``)."""
    return _layout(spec)[1](flat)


#: scenario id -> (scenario, its parameters, its typed-parameter builder); see ``_layout``
_LAYOUTS: dict[int, tuple[BaseModel, list[tuple[str, Dist]], Callable[[Mapping[str, Any]], Params]]] = {}


def _layout(spec: BaseModel) -> tuple[list[tuple[str, Dist]], Callable[[Mapping[str, Any]], Params]]:
    """A scenario's parameters, and how to build its typed parameters, worked out once per scenario object.

    Walking the validated scenario takes about a millisecond, as long as the
    rest of drawing a replication's parameters; scenarios are frozen, so what the
    walk finds cannot change. A few scenarios are kept, the oldest dropped first.
    """
    hit = _LAYOUTS.get(id(spec))
    if hit is not None and hit[0] is spec:
        return hit[1], hit[2]
    layout = (spec, list(iter_parameters(spec)), builder(Params, spec))
    if len(_LAYOUTS) >= 16:
        _LAYOUTS.pop(next(iter(_LAYOUTS)))
    _LAYOUTS[id(spec)] = layout
    return layout[1], layout[2]
