"""Monthly China-to-US shipments (departures) as a share of the normal flow: the issue-17 flow checks.

    python benchmarks/flows_check.py frictionless --lots 1 --reps 20
    python benchmarks/flows_check.py extension_90_days --reps 200

``frictionless`` is baseline with every file approved on its filing day, unlimited capacity,
no statutory wait, no dated policy events and no decision points. Prints the median (and
5th-95th percentiles) of each month's departures over normal, April to December.
"""

from __future__ import annotations

import argparse
import datetime as dt

import numpy as np

from sim.core.domain import SECTORS
from sim.model.replication import simulate
from sim.scenario.loader import load_scenario
from sim.scenario.sampling import ParamTree

MONTHS = range(4, 13)


def frictionless_changes(lots: int | None, statutory_days: float = 0.0) -> dict:
    """Parameter changes that make the licence review frictionless (see the module docstring)."""
    changes = {
        "licensing.timeline": ParamTree(),
        "negotiation.decision_points": ParamTree(),
        "licensing.review.review_capacity_per_day": 1e9,
        "licensing.review.mean_review_days": 1e-6,
        "licensing.review.min_review_days": statutory_days,
        "licensing.review.fast_track_min_review_days": statutory_days,
        "licensing.review.green_channel_min_review_days": statutory_days,
        "licensing.review.fast_track_approval_probability": 1.0,
        "licensing.review.military_handling": "review",
        "licensing.review.military_approval_probability": 1.0,
        "licensing.review.approval_probability": ParamTree({s: 1.0 for s in SECTORS}),
    }
    if lots is not None:
        changes["supply.lots_per_licence"] = lots
    return changes


def monthly_share(model) -> np.ndarray:
    """Departures China to US in each month April..December over the normal flow of the same days."""
    clock, supply = model.clock, model.supply
    shipped = supply.shipped[: clock.n_days].sum(axis=1)
    normal = float(supply.normal_china_flow.sum())
    days = np.array([clock.start + dt.timedelta(days=i) for i in range(clock.n_days)])
    month = np.array([d.month for d in days])
    return np.array([shipped[month == m].sum() / (normal * (month == m).sum()) for m in MONTHS])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario")
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lots", type=int, default=None)
    ap.add_argument("--statutory-days", type=float, default=0.0)
    args = ap.parse_args()
    name = "baseline" if args.scenario == "frictionless" else args.scenario
    spec = load_scenario(name).spec
    changes = (
        frictionless_changes(args.lots, args.statutory_days)
        if args.scenario == "frictionless"
        else ({"supply.lots_per_licence": args.lots} if args.lots else None)
    )
    shares = np.array(
        [monthly_share(simulate(spec, args.seed, r, changes=changes)[0]) for r in range(args.reps)]
    )
    lo, med, hi = np.quantile(shares, [0.05, 0.5, 0.95], axis=0)
    print(f"{args.scenario} lots={args.lots} reps={args.reps} seed={args.seed}: departures / normal")
    for m, a, b, c in zip(MONTHS, lo, med, hi, strict=True):
        print(f"  {dt.date(2025, m, 1):%b}  median {b:5.2f}  (5-95%: {a:5.2f}-{c:5.2f})")


if __name__ == "__main__":
    main()
