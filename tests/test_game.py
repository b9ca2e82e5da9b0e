"""The negotiation game: a terminal game, exact replays, one changed move, bad moves, the tournament."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.model.replication import run_replication
from sim.workshop.game import Game, play
from sim.workshop.moves import MoveError, parse_change, parse_moves
from sim.workshop.records import (
    GameFileError,
    changed_record,
    first_divergence,
    load_game,
    record_of,
    replay_game,
    save_game,
)
from sim.workshop.strategies import make_strategy
from sim.workshop.tournament import RANKED_ON, run_tournament

from .conftest import ROOT

runner = CliRunner()


def _strategy_game(baseline, us: str, china: str, seed: int = 3) -> tuple[Game, object]:
    game = Game(baseline.spec, seed, 0)
    params = game.model.params
    result = play(
        game,
        make_strategy(us, "us", params, game.streams),
        make_strategy(china, "china", params, game.streams),
    )
    return game, result


# --- a game in the terminal, saved and replayed ---------------------------------------------


@pytest.mark.slow
def test_terminal_game_completes_and_its_saved_file_replays_to_identical_outcomes(tmp_path, baseline):
    # the US team types at a real process's standard input; China is the hawk
    typed = "tariff=80 chips=tighten\nhelp\nchips=sideways\n" + "pass\n" * 40
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim",
            "play",
            "--china",
            "hawk",
            "--seed",
            "11",
            "--out",
            str(tmp_path / "g"),
        ],
        input=typed,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "chips=sideways: chips must be one of tighten, ease" in done.stderr  # re-prompted, not crashed
    assert "Truce deadline" in done.stdout
    record = load_game(tmp_path / "g" / "game.game.toml")
    assert record.players == {"us": "human", "china": "hawk"}
    assert record.turns[0].us == {"tariff": 80.0, "chips": "tighten"}
    assert record.turns[1].us == {}  # the bad move was refused, then 'pass' taken
    assert record.turns[-1].date <= dt.date(2025, 12, 31) and len(record.turns) >= 14
    assert (tmp_path / "g" / "game.png").stat().st_size > 10_000

    _, replayed = replay_game(record, baseline)
    saved = json.loads((tmp_path / "g" / "outcomes.json").read_text())
    assert replayed.game_outcomes() == saved["game"]
    assert {k: v for k, v in replayed.outcomes.items() if not np.isnan(v)} == {
        k: v for k, v in saved["model"].items() if v is not None
    }
    series = pd.read_csv(tmp_path / "g" / "series.csv")
    for name in ("backlog", "price_index", "gdp_loss", "us_pain", "china_pain"):
        np.testing.assert_array_equal(series[name].to_numpy(), replayed.series[name])


@pytest.mark.slow
def test_replay_command_prints_the_same_outcomes_as_the_game(tmp_path, baseline):
    game, result = _strategy_game(baseline, "tit-for-tat", "pain-driven")
    path = save_game(
        record_of("baseline", game, {"us": "tit-for-tat", "china": "pain-driven"}), tmp_path / "a.game.toml"
    )
    shown = runner.invoke(
        app, ["play", "--replay", str(path), "--out", str(tmp_path / "r")], terminal_width=200
    )
    assert shown.exit_code == 0, shown.output
    replayed = json.loads((tmp_path / "r" / "outcomes.json").read_text())["game"]
    assert replayed == result.game_outcomes()
    from sim.cli.tables import number

    assert number(result.game_outcomes()["gdp_loss_year_end_pct"]) in shown.output  # one rule for numbers


def test_a_game_where_both_sides_pass_is_the_ordinary_replication(baseline):
    class Passing:
        name = "passing"

        def choose(self, side, status, history):
            return {}

    result = play(Game(baseline.spec, 8, 1), Passing(), Passing())
    ordinary = run_replication(baseline.spec, 8, 1)
    assert len(result.turns) >= 14  # it paused at every turn...
    assert result.outcomes.keys() == ordinary.outcomes.keys()
    for name, value in ordinary.outcomes.items():  # ...and changed nothing
        assert result.outcomes[name] == pytest.approx(value, rel=0, abs=0, nan_ok=True), name
    np.testing.assert_array_equal(result.series["backlog"], ordinary.series["backlog"])


def test_a_stance_at_the_deadline_is_the_models_decision_there(baseline):
    class Conceding:
        name = "conceding"

        def choose(self, side, status, history):
            return {"stance": "concede"} if status.is_decision else {}

    game = Game(baseline.spec, 5, 0)
    result = play(game, Conceding(), Conceding())
    deadline = next(d for d in game.model.negotiation.decisions if d.kind == "deadline")
    assert (deadline.us, deadline.china, deadline.outcome) == ("concede", "concede", "deal")
    assert result.outcomes["deadline_deal"] == 1.0
    assert any(t.decision and "Truce deadline" in t.decision for t in result.turns)


def test_tightening_chip_controls_slows_chinas_review(baseline):
    game = Game(baseline.spec, 5, 0)
    before = game.advance()
    game.move({"chips": "tighten"}, {})
    after = game.advance()
    assert not before.chip_controls and after.chip_controls
    factor = game.model.params.negotiation.linkage.chip_capacity_factor
    assert after.review_capacity_per_day == pytest.approx(before.review_capacity_per_day * factor)


# --- same luck, different choice -------------------------------------------------------------


def test_a_changed_move_changes_nothing_before_its_turn_and_something_after(baseline):
    game, original = _strategy_game(baseline, "dove", "hawk")
    record = record_of("baseline", game, {"us": "dove", "china": "hawk"})
    turn = record.turns[3]
    _, again = replay_game(record, baseline)
    _, changed = replay_game(changed_record(record, 4, "us", {"tariff": 145.0, "chips": "tighten"}), baseline)
    assert first_divergence(original, again) is None  # an exact replay
    assert first_divergence(original, changed) == turn.date
    day = turn.day
    for name in ("backlog", "price_index", "gdp_loss", "us_tariff_on_china", "china_pain"):
        np.testing.assert_array_equal(original.series[name][:day], changed.series[name][:day])
    assert changed.series["us_tariff_on_china"][day] == 145.0 != original.series["us_tariff_on_china"][day]


@pytest.mark.slow
def test_change_command_shows_the_difference_side_by_side(tmp_path, baseline):
    game, _ = _strategy_game(baseline, "dove", "dove")
    path = save_game(record_of("baseline", game, {"us": "dove", "china": "dove"}), tmp_path / "d.game.toml")
    shown = runner.invoke(
        app,
        ["play", "--replay", str(path), "--change", "2=china:pace=slow", "--out", str(tmp_path / "c")],
        terminal_width=200,
    )
    assert shown.exit_code == 0, shown.output
    assert "Same luck, different choice" in shown.output and "first day that differs" in shown.output
    changed = load_game(tmp_path / "c" / "changed.game.toml")
    assert changed.turns[1].china == {"pace": "slow"}
    assert changed.turns[2:] == load_game(path).turns[2:]


def test_change_command_runs_again_into_the_same_folder_with_force(tmp_path, baseline):
    game, _ = _strategy_game(baseline, "dove", "dove")
    path = save_game(record_of("baseline", game, {"us": "dove", "china": "dove"}), tmp_path / "d.game.toml")
    args = ["play", "--replay", str(path), "--change", "2=china:pace=slow", "--out", str(tmp_path / "c")]
    assert runner.invoke(app, args, terminal_width=200).exit_code == 0
    again = runner.invoke(app, [*args, "--force"], terminal_width=200)
    assert again.exit_code == 0, again.output  # its own "changed" tables are not a stranger's files


# --- bad moves, bad files -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("side", "text", "message"),
    [
        ("us", "pace=fast", "'pace' is not a US instrument"),
        ("china", "chips=ease", "'chips' is not a China instrument"),
        ("us", "tariff=lots", "must be a number of percent from 0 to 300"),
        ("us", "tariff=-5", "must be a number of percent from 0 to 300"),
        ("china", "stance=surrender", "stance must be one of concede, hold, escalate"),
        ("china", "tariff=10 tariff=20", "given twice"),
        ("us", "tariff", "is not key=value"),
    ],
)
def test_a_bad_move_is_refused_with_what_is_allowed(side, text, message):
    with pytest.raises(MoveError, match=message):
        parse_moves(side, text)


def test_moves_read_back_as_written():
    assert parse_moves("china", "pace=fast, green_channel=on") == {"pace": "fast", "green_channel": "on"}
    assert parse_moves("us", "pass") == {}
    assert parse_change("3=us:tariff=100 stance=hold") == (3, "us", {"tariff": 100.0, "stance": "hold"})
    with pytest.raises(MoveError, match="TURN=SIDE:MOVES"):
        parse_change("3:us=tariff=100")


def test_bad_change_and_bad_game_file_exit_2_naming_the_problem(tmp_path, baseline):
    game, _ = _strategy_game(baseline, "hawk", "hawk")
    path = save_game(record_of("baseline", game, {"us": "hawk", "china": "hawk"}), tmp_path / "h.game.toml")
    bad_move = runner.invoke(
        app, ["play", "--replay", str(path), "--change", "2=us:pace=fast", "--out", str(tmp_path / "x")]
    )
    assert bad_move.exit_code == 2
    assert "'pace' is not a US instrument" in bad_move.output
    no_turn = runner.invoke(
        app, ["play", "--replay", str(path), "--change", "99=us:pass", "--out", str(tmp_path / "y")]
    )
    assert no_turn.exit_code == 2 and "turn 99 does not exist" in no_turn.output
    edited = tmp_path / "edited.game.toml"
    edited.write_text(path.read_text().replace('us = "tariff=', 'us = "tarif=', 1))
    bad_file = runner.invoke(app, ["play", "--replay", str(edited), "--out", str(tmp_path / "z")])
    assert bad_file.exit_code == 2
    assert "edited.game.toml: turns[1].us: 'tarif' is not a US instrument" in bad_file.output
    assert "Traceback" not in bad_file.output
    with pytest.raises(GameFileError, match="colour: unknown key"):
        edited.write_text(path.read_text() + '\ncolour = "red"\n')
        load_game(edited)
    wrong_player = runner.invoke(app, ["play", "--us", "robot"])
    assert (
        wrong_player.exit_code == 2
        and "human or one of tit-for-tat, hawk, dove, pain-driven" in wrong_player.output
    )


# --- a saved game as a scenario, and the tournament ----------------------------------------------


def test_a_saved_game_in_compare_replays_the_game_in_its_own_replication(tmp_path, baseline):
    game, result = _strategy_game(baseline, "hawk", "dove", seed=4)
    path = save_game(
        record_of("baseline", game, {"us": "hawk", "china": "dove"}), tmp_path / "team.game.toml"
    )
    done = runner.invoke(
        app,
        [
            "compare",
            "baseline",
            str(path),
            "-n",
            "2",
            "--seed",
            "4",
            "-w",
            "1",
            "--out",
            str(tmp_path / "c"),
            "-q",
            "--no-plots",
        ],
        terminal_width=200,
    )
    assert done.exit_code == 0, done.output
    outcomes = pd.read_csv(tmp_path / "c" / "team" / "outcomes.csv")
    assert outcomes.loc[outcomes.rep == 0, "gdp_loss_year_end_pct"].item() == pytest.approx(
        result.outcomes["gdp_loss_year_end_pct"], rel=1e-12
    )
    assert set(pd.read_csv(tmp_path / "c" / "comparison.csv").scenario) == {"baseline", "team"}


@pytest.mark.slow
def test_tournament_is_reproducible_and_its_ranking_recomputes_from_the_game_table(tmp_path, baseline):
    args = [
        "tournament",
        "--strategy",
        "hawk",
        "--strategy",
        "tit-for-tat",
        "--reps",
        "2",
        "--seed",
        "9",
        "-q",
    ]
    done = runner.invoke(app, [*args, "--out", str(tmp_path / "a")], terminal_width=200)
    assert done.exit_code == 0, done.output
    run_tournament(baseline, 2, 9, tmp_path / "b", strategies=("hawk", "tit-for-tat"))
    for table in ("games.csv", "ranking.csv"):
        assert (tmp_path / "a" / table).read_text() == (tmp_path / "b" / table).read_text()
    assert (tmp_path / "a" / "tournament.png").stat().st_size > 10_000

    games = pd.read_csv(tmp_path / "a" / "games.csv")
    ranking = pd.read_csv(tmp_path / "a" / "ranking.csv")
    assert len(games) == 2 * 2 * 2
    for side, measures in RANKED_ON.items():
        for measure in measures:
            rows = ranking[(ranking.side == side) & (ranking.measure == measure)].sort_values("rank")
            per_rep = games.groupby([f"{side}_strategy", "rep"])[measure].mean().groupby(level=0)
            mean, sd, n = per_rep.mean(), per_rep.std(ddof=1), per_rep.count()
            half = 1.6448536269514722 * sd / np.sqrt(n)
            for _, row in rows.iterrows():
                assert row["mean"] == pytest.approx(mean[row.strategy], rel=1e-12)
                assert row["mean"] == pytest.approx(
                    games[games[f"{side}_strategy"] == row.strategy][measure].mean()
                )
                assert row["low"] == pytest.approx(mean[row.strategy] - half[row.strategy], rel=1e-12)
                assert row["high"] == pytest.approx(mean[row.strategy] + half[row.strategy], rel=1e-12)
                assert row["games"] == 4 and n[row.strategy] == 2
            assert list(rows.strategy) == list(mean.sort_values().index)


@pytest.mark.parametrize("command", [["play"], ["tournament"]])
def test_game_commands_have_help_with_examples(command):
    shown = runner.invoke(app, [*command, "--help"], terminal_width=200)
    assert shown.exit_code == 0 and "Example" in shown.output


def test_input_ending_mid_game_is_a_clear_error_not_a_traceback(tmp_path):
    ended = runner.invoke(
        app, ["play", "--china", "dove", "--seed", "1", "--out", str(tmp_path / "g")], input="pass\n"
    )
    assert ended.exit_code == 1
    assert (
        "stopped at turn 2 (Ctrl-C or end of input), before the game ended; the 1 turn played is saved"
        in ended.output
    )
    assert "Traceback" not in ended.output
    assert len(load_game(tmp_path / "g" / "game.game.toml").turns) == 1  # the turn played is kept


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_a_game_typed_at_a_pseudo_terminal_completes(tmp_path):
    """The same game as a person plays it: prompts on a terminal, the moves typed line by line."""
    import os
    import pty
    import select
    import time

    primary, secondary = pty.openpty()
    command = [
        sys.executable,
        "-m",
        "sim",
        "play",
        "--china",
        "dove",
        "--seed",
        "2",
        "--out",
        str(tmp_path / "t"),
    ]
    process = subprocess.Popen(command, stdin=secondary, stdout=secondary, stderr=secondary, cwd=ROOT)
    os.close(secondary)
    typed = ["stance=hold tariff=30", "help", "chips=maybe"] + ["pass"] * 40
    seen, deadline = b"", time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([primary], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the program has exited and closed the terminal
                break
            if not chunk:
                break
            seen += chunk
            if seen.rstrip().endswith(b":") and typed:  # a prompt waits for a line
                os.write(primary, (typed.pop(0) + "\n").encode())
        elif process.poll() is not None:
            break
    process.wait(timeout=10)
    os.close(primary)
    text = seen.decode("utf-8", "replace")
    assert process.returncode == 0, text[-2000:]
    assert "chips=maybe: chips must be one of tighten, ease" in text
    assert "game saved" in text
    record = load_game(tmp_path / "t" / "game.game.toml")
    assert record.turns[0].us == {"stance": "hold", "tariff": 30.0}
    assert len(record.turns) >= 14


def test_a_plan_written_by_hand_replays_with_its_stance_dated_on_the_deadline(tmp_path, baseline):
    plan = tmp_path / "plan.game.toml"
    plan.write_text(
        'scenario = "baseline"\nseed = 7\nrep = 0\nstart = 2025-06-16\n'
        'us_player = "class"\nchina_player = "class"\n'
        '[[turns]]\nturn = 1\ndate = 2025-07-01\nchina = "green_channel=on"\n'
        '[[turns]]\nturn = 2\ndate = 2025-08-10\nus = "stance=concede"\nchina = "stance=concede"\n'
    )
    game, result = replay_game(load_game(plan), baseline)
    assert result.outcomes["deadline_deal"] == 1.0
    assert game.model.licensing.regime.green_channel
    assert [t.notes for t in result.turns] == [[], []]


@pytest.mark.slow
def test_with_react_a_strategy_answers_the_changed_move(tmp_path, baseline):
    game, _ = _strategy_game(baseline, "hawk", "tit-for-tat", seed=4)
    path = save_game(
        record_of("baseline", game, {"us": "hawk", "china": "tit-for-tat"}), tmp_path / "r.game.toml"
    )
    shown = runner.invoke(
        app,
        [
            "play",
            "--replay",
            str(path),
            "--change",
            "2=us:tariff=30 chips=ease",
            "--react",
            "--out",
            str(tmp_path / "o"),
        ],
        terminal_width=200,
    )
    assert shown.exit_code == 0, shown.output
    original, reacted = load_game(path), load_game(tmp_path / "o" / "changed.game.toml")
    assert reacted.turns[:1] == original.turns[:1]
    assert reacted.turns[1].us == {"tariff": 30.0, "chips": "ease"}
    assert original.turns[2].china["pace"] == "slow"  # tit-for-tat answered the hawk...
    assert reacted.turns[2].china["pace"] == "fast"  # ...and now answers the olive branch
    twice = runner.invoke(
        app, ["play", "--replay", str(path), "--change", "2=us:pass", "--change", "2=us:tariff=9"]
    )
    assert twice.exit_code == 2 and "twice" in twice.output


@pytest.mark.slow
def test_two_teams_at_one_keyboard_each_get_asked_every_turn(tmp_path):
    typed = "tariff=60\npace=slow green_channel=on\n" + "pass\n" * 80
    done = runner.invoke(
        app, ["play", "--seed", "6", "--out", str(tmp_path / "h")], input=typed, terminal_width=200
    )
    assert done.exit_code == 0, done.output
    record = load_game(tmp_path / "h" / "game.game.toml")
    assert done.output.count("US move ") == done.output.count("China move ") == len(record.turns)
    assert record.turns[0].us == {"tariff": 60.0}
    assert record.turns[0].china == {"pace": "slow", "green_channel": "on"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2026-01-01"], "must lie inside the scenario"),
        (["--start", "mid-June"], "not a date"),
        (["--change", "2=us:pass"], "--change needs --replay"),
        (["--china", "dove", "--react"], "--react needs --change"),
    ],
)
def test_play_refuses_bad_options_with_a_message(tmp_path, args, message):
    done = runner.invoke(
        app, ["play", "--us", "hawk", *args, "--out", str(tmp_path / "x")], terminal_width=200
    )
    assert done.exit_code == 2
    assert message in done.output
