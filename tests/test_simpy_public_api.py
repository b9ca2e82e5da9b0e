"""The model drives SimPy through its public API only, and its day boundaries hold.

Days close at ``d + 0.5`` with ordinary timeouts (``sim.model.replication``), after
the events dated day ``d``, which fire at the whole day; a pause is SimPy's own
``run(until=day)``. These tests pin that no module touches SimPy's private
fields, and that a pause stops with the day before it closed and the events of
its day not yet fired.
"""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import sim
from sim.core.streams import Streams
from sim.model.replication import Replication
from sim.scenario.sampling import draw_parameters

PACKAGE = Path(sim.__file__).resolve().parent

#: SimPy's private state: what a public-API user never reads or writes
_PRIVATE = {"_ok", "_value", "_queue", "_now", "_eid", "_defused"}


def test_no_module_reaches_into_simpy_private_state():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in _PRIVATE:
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} .{node.attr}")
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("simpy."):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} from {node.module}")
    assert not found, "SimPy used beyond its public API (import from `simpy` only):\n" + "\n".join(found)


def test_a_pause_stops_with_the_day_before_closed_and_its_own_dated_events_not_fired(baseline):
    spec = baseline.spec
    streams = Streams(4, 0)
    params, _ = draw_parameters(spec, streams)
    model = Replication(spec, params, streams)
    cut = model.clock.day(dt.date(2025, 5, 12))  # Geneva: the tariff cut is dated that day
    before = model.state.tariffs.us_on_china_pct
    model.run_until(cut)
    assert model.env.now == cut and model.today == cut
    assert model.state.day == cut - 1  # the day before closed, and published
    assert model.state.tariffs.us_on_china_pct == before  # Geneva's cut not applied yet
    model.run_until(cut + 1)
    assert model.state.day == cut  # the cut's day closed after its event fired
    geneva = params.tariffs.timeline.geneva_cut.us_on_china_pct
    assert model.state.tariffs.us_on_china_pct == geneva
    assert model.tariffs.series()["us_tariff_on_china"][cut] == geneva
