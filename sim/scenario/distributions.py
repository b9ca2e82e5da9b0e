"""Uncertain parameters: a fixed value or a probability distribution, with its source.

Every parameter in a scenario file is one of these. A replication draws one
value per parameter by pushing a uniform number ``u`` in [0, 1) through the
distribution's inverse CDF (:meth:`ppf`). Sampling by inverse CDF is what lets
the same machinery serve plain Monte Carlo, Latin-hypercube and Sobol designs,
correlated parameters and common random numbers across scenarios (replication
*i* of two scenarios uses the same ``u`` for a parameter they share).

Each parameter carries ``source``: ``"fig:ID"`` for a figure in the registry
``seeds/figures.toml``, ``"assumption: why"``, or ``"what-if: why"`` in a
scenario that deliberately departs from the baseline.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, model_validator

Scalar = float | int | bool | str | dt.date


def _non_finite(value: Any) -> bool:
    """True for NaN or an infinity (TOML allows ``nan`` and ``inf``), also inside a list."""
    if isinstance(value, list | tuple):
        return any(_non_finite(v) for v in value)
    return isinstance(value, float) and not math.isfinite(value)


class _Dist(BaseModel):
    """Common behaviour of every parameter form."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    source: str | None = None

    #: Fields where an infinity means "no bound" (a normal's truncation points); NaN never is.
    _unbounded_ok: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _finite(self) -> _Dist:
        # NaN passes every range check (every comparison with it is false), and an infinity
        # overflows the model's arithmetic: a parameter's numbers must be finite.
        for name in type(self).model_fields:
            value = getattr(self, name)
            if name in self._unbounded_ok and isinstance(value, float) and math.isinf(value):
                continue
            if _non_finite(value):
                raise ValueError(f"{name} must be a finite number, got {getattr(self, name)!r}")
        return self

    @property
    def is_uncertain(self) -> bool:
        """True when replications draw different values."""
        return True

    def support(self) -> tuple[Any, Any]:  # pragma: no cover - overridden
        raise NotImplementedError

    def ppf(self, u: float) -> Any:  # pragma: no cover - overridden
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError


def _num(x: float | dt.date) -> float:
    return float(x.toordinal()) if isinstance(x, dt.date) else float(x)


def _like(template: float | dt.date, x: float) -> float | dt.date:
    """Return ``x`` as a date when the distribution is over dates."""
    if isinstance(template, dt.date):
        return dt.date.fromordinal(int(round(x)))
    return float(x)


class Fixed(_Dist):
    """A value that is the same in every replication."""

    value: Scalar

    @property
    def is_uncertain(self) -> bool:
        return False

    def support(self) -> tuple[Any, Any]:
        return self.value, self.value

    def ppf(self, u: float) -> Scalar:
        return self.value

    def describe(self) -> str:
        return str(self.value)


class Uniform(_Dist):
    """Every value between ``low`` and ``high`` equally likely (numbers or dates)."""

    dist: Literal["uniform"]
    low: float | dt.date
    high: float | dt.date

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if _num(self.high) < _num(self.low):
            raise ValueError(f"uniform needs low <= high, got low={self.low}, high={self.high}")
        return self

    def support(self) -> tuple[Any, Any]:
        return self.low, self.high

    def ppf(self, u: float) -> float | dt.date:
        lo, hi = _num(self.low), _num(self.high)
        return _like(self.low, lo + u * (hi - lo))

    def describe(self) -> str:
        return f"uniform({self.low}, {self.high})"


class Triangular(_Dist):
    """Between ``low`` and ``high``, most likely at ``mode`` (numbers or dates)."""

    dist: Literal["triangular"]
    low: float | dt.date
    mode: float | dt.date
    high: float | dt.date

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not _num(self.low) <= _num(self.mode) <= _num(self.high):
            raise ValueError(
                f"triangular needs low <= mode <= high, got {self.low}, {self.mode}, {self.high}"
            )
        return self

    def support(self) -> tuple[Any, Any]:
        return self.low, self.high

    def ppf(self, u: float) -> float | dt.date:
        a, c, b = _num(self.low), _num(self.mode), _num(self.high)
        if b == a:
            return _like(self.low, a)
        fc = (c - a) / (b - a)
        if u < fc:
            x = a + math.sqrt(u * (b - a) * (c - a))
        else:
            x = b - math.sqrt((1.0 - u) * (b - a) * (b - c))
        return _like(self.low, x)

    def describe(self) -> str:
        return f"triangular({self.low}, {self.mode}, {self.high})"


class Normal(_Dist):
    """Bell curve around ``mean``; optional ``low`` / ``high`` truncate it."""

    dist: Literal["normal"]
    mean: float
    sd: float
    low: float = -math.inf
    high: float = math.inf
    _unbounded_ok = ("low", "high")

    @model_validator(mode="after")
    def _valid(self) -> Normal:
        if self.sd <= 0:
            raise ValueError(f"normal needs sd > 0, got sd={self.sd}")
        if self.high <= self.low:
            raise ValueError(f"normal needs low < high, got low={self.low}, high={self.high}")
        return self

    def support(self) -> tuple[float, float]:
        return self.low, self.high

    def ppf(self, u: float) -> float:
        from scipy.special import ndtr, ndtri  # here, not at import: `tradesim list` needs no scipy

        fa = float(ndtr((self.low - self.mean) / self.sd))
        fb = float(ndtr((self.high - self.mean) / self.sd))
        return float(self.mean + self.sd * ndtri(fa + u * (fb - fa)))

    def describe(self) -> str:
        bounds = "" if math.isinf(self.low) and math.isinf(self.high) else f" in [{self.low}, {self.high}]"
        return f"normal(mean={self.mean}, sd={self.sd}){bounds}"


class LogNormal(_Dist):
    """Positive and right-skewed: ``median`` times exp(``sigma`` x standard normal)."""

    dist: Literal["lognormal"]
    median: float
    sigma: float

    @model_validator(mode="after")
    def _valid(self) -> LogNormal:
        if self.median <= 0 or self.sigma <= 0:
            raise ValueError(f"lognormal needs median > 0 and sigma > 0, got {self.median}, {self.sigma}")
        return self

    def support(self) -> tuple[float, float]:
        return 0.0, math.inf

    def ppf(self, u: float) -> float:
        from scipy.special import ndtri

        return float(self.median * math.exp(self.sigma * float(ndtri(u))))

    def describe(self) -> str:
        return f"lognormal(median={self.median}, sigma={self.sigma})"


class Beta(_Dist):
    """A beta(``a``, ``b``) shape stretched over [``low``, ``high``] (default [0, 1])."""

    dist: Literal["beta"]
    a: float
    b: float
    low: float = 0.0
    high: float = 1.0

    @model_validator(mode="after")
    def _valid(self) -> Beta:
        if self.a <= 0 or self.b <= 0:
            raise ValueError(f"beta needs a > 0 and b > 0, got a={self.a}, b={self.b}")
        if self.high <= self.low:
            raise ValueError(f"beta needs low < high, got low={self.low}, high={self.high}")
        return self

    def support(self) -> tuple[float, float]:
        return self.low, self.high

    def ppf(self, u: float) -> float:
        from scipy.special import betaincinv

        return float(self.low + (self.high - self.low) * betaincinv(self.a, self.b, u))

    def describe(self) -> str:
        span = "" if (self.low, self.high) == (0.0, 1.0) else f" on [{self.low}, {self.high}]"
        return f"beta({self.a}, {self.b}){span}"


class Choice(_Dist):
    """One of ``values``, with optional ``weights`` (equal by default)."""

    dist: Literal["choice"]
    values: list[Scalar]
    weights: list[float] | None = None

    @model_validator(mode="after")
    def _valid(self) -> Choice:
        if not self.values:
            raise ValueError("choice needs at least one value")
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(f"choice has {len(self.values)} values but {len(self.weights)} weights")
            if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
                raise ValueError("choice weights must be >= 0 and not all zero")
        return self

    def support(self) -> tuple[Any, Any]:
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in self.values):
            return min(self.values), max(self.values)  # type: ignore[type-var]
        return None, None

    def ppf(self, u: float) -> Scalar:
        import numpy as np  # here, not at import: `tradesim list` loads scenarios without numpy

        w = np.ones(len(self.values)) if self.weights is None else np.asarray(self.weights)
        cum = np.cumsum(w) / w.sum()
        return self.values[int(np.searchsorted(cum, u, side="right"))]

    def describe(self) -> str:
        if self.weights is None:
            return f"choice{tuple(self.values)}"
        pairs = ", ".join(f"{v}: {w}" for v, w in zip(self.values, self.weights, strict=True))
        return f"choice({pairs})"


Dist = Fixed | Uniform | Triangular | Normal | LogNormal | Beta | Choice

_FORMS: dict[str, type[_Dist]] = {
    "uniform": Uniform,
    "triangular": Triangular,
    "normal": Normal,
    "lognormal": LogNormal,
    "beta": Beta,
    "choice": Choice,
}
DIST_NAMES = tuple(_FORMS)


def parse_param(raw: Any) -> Dist:
    """Turn what a scenario file says into a parameter.

    Accepts a bare value (``0.5``, ``2025-08-10``, ``true``), ``{value = ..., source = ...}``,
    or ``{dist = "uniform", low = ..., high = ..., source = ...}``.
    """
    if isinstance(raw, _Dist):
        return raw  # type: ignore[return-value]
    if isinstance(raw, dict):
        if "dist" in raw:
            form = _FORMS.get(raw["dist"])
            if form is None:
                raise ValueError(f"unknown distribution {raw['dist']!r} (allowed: {', '.join(DIST_NAMES)})")
            return form.model_validate(raw)  # type: ignore[return-value]
        if "value" in raw:
            return Fixed.model_validate(raw)
        raise ValueError(
            "a parameter table needs either 'value' or 'dist' "
            f"(one of {', '.join(DIST_NAMES)}); got keys {sorted(raw)}"
        )
    if isinstance(raw, list):
        raise ValueError("a parameter is one value or a distribution table, not a list")
    return Fixed(value=raw)


def _check_support(lo: float | None, hi: float | None, what: str):
    def check(p: Dist) -> Dist:
        a, b = p.support()
        if a is None or b is None:  # a choice that is not all numbers
            raise ValueError(f"must be a number ({what}), got {p.describe()}")
        for end in (a, b):
            if isinstance(end, bool) or not isinstance(end, int | float):
                raise ValueError(f"must be a number ({what}), got {p.describe()}")
        if (lo is not None and a < lo) or (hi is not None and b > hi):
            raise ValueError(f"must lie within {what}, got {p.describe()}")
        return p

    return check


def _check_date(p: Dist) -> Dist:
    a, b = p.support()
    if not (isinstance(a, dt.date) and isinstance(b, dt.date)):
        raise ValueError(
            f"must be a calendar date (YYYY-MM-DD) or a distribution of dates, got {p.describe()}"
        )
    return p


def _check_kind(kind: type, label: str):
    def check(p: Dist) -> Dist:
        values = p.values if isinstance(p, Choice) else [p.ppf(0.5)]
        if not all(type(v) is kind for v in values):
            raise ValueError(f"must be {label}, got {p.describe()}")
        return p

    return check


@dataclass(frozen=True)
class Drawn:
    """What a parameter's draws are: the Python type the model reads (see :mod:`sim.scenario.params`).

    Carried in a parameter type's ``Annotated`` metadata; pydantic ignores it, and
    :mod:`sim.scenario.typed_params` reads it to type the generated field.
    """

    type: type


def number(low: float | None = None, high: float | None = None):
    """A numeric parameter whose every possible value lies in [low, high]."""
    what = f"[{'-inf' if low is None else low}, {'inf' if high is None else high}]"
    return Annotated[
        Dist, BeforeValidator(parse_param), AfterValidator(_check_support(low, high, what)), Drawn(float)
    ]


Probability = number(0.0, 1.0)
NonNegative = number(0.0, None)
Positive = number(1e-12, None)
DateParam = Annotated[Dist, BeforeValidator(parse_param), AfterValidator(_check_date), Drawn(dt.date)]
FlagParam = Annotated[
    Dist, BeforeValidator(parse_param), AfterValidator(_check_kind(bool, "true or false")), Drawn(bool)
]
TextParam = Annotated[
    Dist, BeforeValidator(parse_param), AfterValidator(_check_kind(str, "text")), Drawn(str)
]
