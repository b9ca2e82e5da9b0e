"""Scenario files are checked against the model's domain, not only against types.

Every case here was accepted before (or crashed with a traceback): NaN and
infinities (TOML allows ``nan`` and ``inf``, and NaN passes every range check),
a choice of words for a number, dates outside the simulated period, a parameter
with no source, a pair correlated twice, files that are not UTF-8 text, an
``extends`` chain hundreds deep, and a huge wrong value echoed back whole.
Each must give a ``ScenarioError`` naming the file and the key, and
``tradesim validate`` must exit 2 without a traceback.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sim.cli import app
from sim.scenario.loader import ScenarioError, load_scenario

runner = CliRunner()

#: One parameter of each kind in the baseline: section, key, what a good value looks like.
KINDS = {
    "probability": ("licensing", "renewal_probability"),
    "positive number": ("licensing", "arrivals_per_day"),
    "date": ("licensing", "controls_start"),
    "flag": ("licensing.review", "fast_track"),
    "text": ("licensing.review", "military_handling"),
}

NON_FINITE_NUMBERS = [
    "{ value = nan }",
    "{ value = inf }",
    "{ value = -inf }",
    '{ dist = "uniform", low = nan, high = 1 }',
    '{ dist = "uniform", low = 0, high = inf }',
    '{ dist = "triangular", low = 0, mode = nan, high = 1 }',
    '{ dist = "normal", mean = nan, sd = 1 }',
    '{ dist = "normal", mean = 0.5, sd = inf }',
    '{ dist = "lognormal", median = inf, sigma = 1 }',
    '{ dist = "beta", a = nan, b = 2 }',
    '{ dist = "choice", values = [0.1, nan] }',
    '{ dist = "choice", values = [0.1, 0.2], weights = [1, inf] }',
]
WRONG_TYPES = {
    "probability": [
        '{ dist = "choice", values = ["low", "high"] }',
        '{ value = "half" }',
        "{ value = true }",
        "{ value = 2025-05-01 }",
    ],
    "positive number": [
        '{ dist = "choice", values = [100, "many"] }',
        '{ value = "x" }',
        "{ value = false }",
    ],
    "date": ["{ value = nan }", "{ value = 5 }", '{ value = "soon" }', "{ value = true }"],
    "flag": ["{ value = nan }", "{ value = 1.0 }", '{ value = "yes" }'],
    "text": ["{ value = nan }", "{ value = 1 }", "{ value = true }"],
}


def _child(tmp_path, body: str, name: str = "child"):
    path = tmp_path / f"{name}.toml"
    path.write_text(f'extends = "baseline"\ndescription = "a test"\n{body}', encoding="utf-8")
    return path


def _param(kind: str, spec: str) -> str:
    section, key = KINDS[kind]
    spec = spec.replace(" }", ', source = "assumption: test" }')
    return f"[{section}]\n{key} = {spec}\n"


def _problems(path) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize("kind", ["probability", "positive number"])
@pytest.mark.parametrize("spec", NON_FINITE_NUMBERS)
def test_nan_and_infinities_are_refused_for_numbers(tmp_path, kind, spec):
    path = _child(tmp_path, _param(kind, spec))
    problems = _problems(path)
    key = ".".join(KINDS[kind])
    assert any(str(path) in p and key in p for p in problems), problems


@pytest.mark.parametrize(("kind", "spec"), [(k, s) for k, specs in WRONG_TYPES.items() for s in specs])
def test_wrong_types_are_refused_for_every_kind_of_parameter(tmp_path, kind, spec):
    path = _child(tmp_path, _param(kind, spec))
    problems = _problems(path)
    key = ".".join(KINDS[kind])
    assert any(str(path) in p and key in p for p in problems), problems


def test_a_normal_without_bounds_is_still_accepted(tmp_path):
    """Infinite truncation points mean "no bound" (the default); only NaN is refused there."""
    path = _child(tmp_path, _param("positive number", '{ dist = "normal", mean = 250, sd = 20, low = 1 }'))
    assert load_scenario(path).spec.licensing.arrivals_per_day.high == float("inf")


def test_dates_outside_the_simulated_period_are_refused(tmp_path):
    path = _child(tmp_path, _param("date", '{ dist = "uniform", low = 2025-05-01, high = 2026-03-01 }'))
    (problem,) = [p for p in _problems(path) if "licensing.controls_start" in p]
    assert "outside the simulated period 2025-04-02 to 2025-12-31" in problem


def test_a_parameter_without_a_source_is_refused(tmp_path):
    path = _child(tmp_path, "[licensing]\nrenewal_probability = { value = 0.8 }\n")
    (problem,) = _problems(path)
    assert "licensing.renewal_probability" in problem and "has no source" in problem


def test_a_pair_correlated_twice_is_refused(tmp_path):
    pair = '["licensing.initial_backlog", "licensing.renewal_probability"]'
    body = (
        f'[[correlations]]\nbetween = {pair}\nrank = 0.3\nsource = "assumption: a"\n'
        f'[[correlations]]\nbetween = {pair}\nrank = -0.3\nsource = "assumption: b"\n'
    )
    problems = _problems(_child(tmp_path, body))
    assert any("already correlated" in p for p in problems), problems


@pytest.mark.parametrize(
    "content",
    [bytes(range(256)), 'description = "caf\u00e9"\n'.encode("latin-1"), b"\x89PNG\r\n\x1a\n\x00\x00"],
    ids=["binary", "latin-1", "png"],
)
def test_files_that_are_not_utf8_text_are_refused_plainly(tmp_path, content):
    path = tmp_path / "odd.toml"
    path.write_bytes(content)
    (problem,) = _problems(path)
    assert str(path) in problem and "not UTF-8 text" in problem


def test_a_very_deep_extends_chain_is_refused_without_recursion_error(tmp_path):
    previous = "baseline"
    for i in range(300):
        (tmp_path / f"s{i}.toml").write_text(f'extends = "{previous}"\ndescription = "level {i}"\n')
        previous = str(tmp_path / f"s{i}.toml")
    problems = _problems(tmp_path / "s299.toml")
    assert any("more than 32 scenarios extending each other" in p for p in problems), problems


def test_a_huge_wrong_value_is_not_echoed_whole(tmp_path):
    huge = "[" + ", ".join(["1"] * 100_000) + "]"
    path = _child(tmp_path, f"[licensing]\nrenewal_probability = {huge}\n")
    result = subprocess.run(
        [sys.executable, "-m", "sim", "validate", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "licensing.renewal_probability" in result.stderr
    assert len(result.stdout) + len(result.stderr) < 2_000


#: Values a careless or hostile scenario file might hold for any parameter.
_values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(lambda x: f"{{ value = {_toml_float(x)} }}"),
    st.integers(min_value=-(10**12), max_value=10**12).map(lambda x: f"{{ value = {x} }}"),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12).map(
        lambda s: "{ value = " + '"' + s.replace("\\", "").replace('"', "") + '" }'
    ),
    st.sampled_from(
        ["{ value = true }", "{ value = 1999-01-01 }", "{ value = 2025-06-01 }", "[1, 2]", "{ }"]
    ),
    st.tuples(
        st.sampled_from(["uniform", "triangular", "normal", "lognormal", "beta", "choice", "weird"]),
        st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=0, max_size=3),
    ).map(lambda t: _dist_table(*t)),
)


def _toml_float(x: float) -> str:
    if x != x:
        return "nan"
    if x in (float("inf"), float("-inf")):
        return "inf" if x > 0 else "-inf"
    return repr(x)


def _dist_table(form: str, numbers: list[float]) -> str:
    keys = {
        "uniform": ["low", "high"],
        "triangular": ["low", "mode", "high"],
        "normal": ["mean", "sd"],
        "lognormal": ["median", "sigma"],
        "beta": ["a", "b"],
        "choice": [],
        "weird": ["x"],
    }[form]
    parts = [f'dist = "{form}"'] + [f"{k} = {_toml_float(v)}" for k, v in zip(keys, numbers, strict=False)]
    if form == "choice":
        parts.append("values = [" + ", ".join(_toml_float(v) for v in numbers) + "]")
    return "{ " + ", ".join(parts) + ' , source = "assumption: fuzz" }'


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(sorted(KINDS)), value=_values)
def test_no_scenario_file_gives_a_traceback(tmp_path, kind, value):
    """Whatever a file says for a parameter, `validate` answers 0 or 2 with a message, never a crash."""
    section, key = KINDS[kind]
    path = _child(tmp_path, f"[{section}]\n{key} = {value}\n", name="fuzz")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 2)
    if result.exit_code == 2:
        assert str(path) in result.output or "fuzz" in result.output


def test_a_draft_may_leave_sources_out_and_its_children_may_not(tmp_path):
    draft = _child(
        tmp_path, "draft = true\n[licensing]\nrenewal_probability = { value = 0.8 }\n", name="draft"
    )
    assert load_scenario(draft).spec.draft
    child = tmp_path / "grandchild.toml"
    child.write_text(f'extends = "{draft}"\ndescription = "built on a draft"\n', encoding="utf-8")
    problems = _problems(child)
    assert any("licensing.renewal_probability" in p and "has no source" in p for p in problems), problems


def test_a_child_without_a_description_is_blamed_on_itself_not_its_parent(tmp_path):
    path = tmp_path / "nodesc.toml"
    path.write_text('extends = "baseline"\n', encoding="utf-8")
    (problem,) = _problems(path)
    assert problem.startswith(str(path)) and "description" in problem and "baseline.toml" not in problem
