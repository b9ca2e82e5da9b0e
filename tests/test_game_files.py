"""Game files: any Unicode round-trips, the scenario travels with the folder, saves are atomic."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tomllib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sim.cli import app
from sim.workshop.game import Game, Turn, play
from sim.workshop.records import GameRecord, load_game, record_of, replay_game, save_game
from sim.workshop.strategies import make_strategy

from .conftest import SCENARIOS

runner = CliRunner()

#: Moves as a class types them, a few of each side's kinds.
US_MOVES = st.sampled_from(
    [{}, {"tariff": 80.0}, {"chips": "tighten"}, {"stance": "concede", "tariff": 10.0}]
)
CHINA_MOVES = st.sampled_from([{}, {"pace": "slow"}, {"green_channel": "on", "military": "review"}])
ANY_TEXT = st.text(min_size=1, max_size=40)  # every code point hypothesis draws: emoji, accents, controls


@st.composite
def records(draw) -> GameRecord:
    n = draw(st.integers(0, 5))
    first = dt.date(2025, 6, 16)
    turns = [
        Turn(
            i + 1,
            -1,
            first + dt.timedelta(days=14 * i),
            draw(st.none() | ANY_TEXT),
            draw(US_MOVES),
            draw(CHINA_MOVES),
            draw(st.lists(ANY_TEXT, max_size=3)),
        )
        for i in range(n)
    ]
    players = {"us": draw(ANY_TEXT), "china": draw(ANY_TEXT)}
    return GameRecord(
        "baseline", draw(st.integers(0, 2**32)), draw(st.integers(0, 99)), first, 14, players, turns
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(record=records(), folder_name=ANY_TEXT.filter(lambda t: "/" not in t and "\x00" not in t))
def test_a_game_file_with_any_unicode_reads_back_as_written(tmp_path, record, folder_name):
    # team names, decision labels and notes in any script, emoji included, in a folder named likewise
    folder = tmp_path / "games"
    try:
        folder = tmp_path / folder_name.strip(". ") if folder_name.strip(". ") else folder
        folder.mkdir(exist_ok=True)
    except OSError:  # a name this file system refuses (too long in bytes, a reserved name)
        folder = tmp_path / "games"
    path = save_game(record, folder / "team 🐉.game.toml")
    tomllib.loads(path.read_text(encoding="utf-8"))  # valid TOML
    assert load_game(path) == record
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []  # no temporary left


def test_a_shipped_scenario_is_stored_by_name_even_when_given_by_its_path(tmp_path, baseline):
    game = Game(baseline.spec, 5, 0)
    record = record_of(str(SCENARIOS / "baseline.toml"), game, {"us": "human", "china": "dove"})
    text = save_game(record, tmp_path / "g.game.toml").read_text(encoding="utf-8")
    assert tomllib.loads(text)["scenario"] == "baseline"
    assert str(tmp_path) not in text and str(SCENARIOS) not in text


def test_a_copied_folder_replays_on_another_disk_with_its_own_scenario(tmp_path, baseline):
    """A class's folder (its own scenario and the game) copied elsewhere replays to the same outcomes."""
    here = tmp_path / "laptop A" / "cours d'économie 🎓"
    (here / "scenarios").mkdir(parents=True)
    text = (SCENARIOS / "baseline.toml").read_text(encoding="utf-8")
    scenario = here / "scenarios" / "notre scénario.toml"
    scenario.write_text(text.replace('name = "baseline"', 'name = "notre scénario"', 1), encoding="utf-8")
    game = Game(baseline.spec, 8, 1)
    result = play(
        game,
        make_strategy("tit-for-tat", "us", game.model.params, game.streams),
        make_strategy("hawk", "china", game.model.params, game.streams),
    )
    path = save_game(
        record_of(str(scenario), game, {"us": "Équipe 🦅", "china": "队伍 🐉"}),
        here / "games" / "g.game.toml",
    )
    stored = tomllib.loads(path.read_text(encoding="utf-8"))["scenario"]
    assert stored == "../scenarios/notre scénario.toml"  # relative, never the absolute path

    elsewhere = tmp_path / "laptop B" / "copie"
    shutil.copytree(here, elsewhere)
    shutil.rmtree(tmp_path / "laptop A")  # the original is gone: only the copy can be read
    shown = runner.invoke(
        app,
        ["play", "--replay", str(elsewhere / "games" / "g.game.toml"), "--out", str(tmp_path / "r")],
        terminal_width=200,
    )
    assert shown.exit_code == 0, shown.output
    replayed = json.loads((tmp_path / "r" / "outcomes.json").read_text())["game"]
    assert replayed == result.game_outcomes()

    record = load_game(elsewhere / "games" / "g.game.toml")
    _, again = replay_game(record, baseline)  # the same luck and moves on the same model
    assert again.game_outcomes() == result.game_outcomes()


# --- a game whose dates do not fit its scenario ---------------------------------------------------

GAME_HEAD = """format = "tradesim-game/1"
scenario = "baseline"
seed = 1
rep = 0
start = {start}
every_days = 14
us_player = "a"
china_player = "b"
"""
TURN = "[[turns]]\nturn = {n}\ndate = {date}\n"


def _game(tmp_path, start: str, *dates: str):
    path = tmp_path / "g.game.toml"
    path.write_text(
        GAME_HEAD.format(start=start) + "".join(TURN.format(n=i + 1, date=d) for i, d in enumerate(dates))
    )
    return path


def _refused(args: list[str], *wanted: str) -> None:
    result = runner.invoke(app, args, input="")
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and all(w in errors[0] for w in wanted), result.output


def test_a_game_starting_before_its_scenario_is_one_line_in_replay_resume_and_validate(tmp_path):
    game = _game(tmp_path, "2024-01-01")
    wanted = ("start: 2024-01-01 is outside the scenario", "allowed: 2025-04-02 to 2025-12-31")
    for args in (["play", "--replay"], ["play", "--resume"], ["validate"]):
        _refused([*args, str(game)], str(game), *wanted)
    assert not list(tmp_path.glob("results*"))


def test_turns_dated_after_the_scenario_ends_are_refused_naming_the_turn(tmp_path):
    game = _game(tmp_path, "2025-07-01", "2025-07-01", "2031-01-01")
    wanted = ("turns[2].date: 2031-01-01 is after the scenario ends", "allowed: 2025-04-02 to 2025-12-31")
    for args in (["play", "--replay"], ["play", "--resume"], ["validate"]):
        _refused([*args, str(game)], str(game), *wanted)
    _refused(["compare", "baseline", str(game), "--reps", "2", "--out", str(tmp_path / "c")], *wanted)


def test_a_binary_game_file_is_one_line_in_replay_resume_and_validate(tmp_path):
    game = tmp_path / "x.game.toml"
    game.write_bytes(bytes(range(256)))
    for args in (["play", "--replay"], ["play", "--resume"], ["validate"]):
        _refused([*args, str(game)], str(game), "not text")
