"""An interrupted game is saved after every turn and, resumed, ends as if never interrupted."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.workshop.game import Game, play
from sim.workshop.records import GameFileError, load_game, record_of, save_game
from sim.workshop.sessions import resume_game
from sim.workshop.strategies import make_strategy

from .conftest import ROOT

runner = CliRunner()

#: The US team's moves, turn by turn, then passes to the end of the year.
US_MOVES = ["tariff=80 chips=tighten", "pass", "stance=concede tariff=40", "chips=ease", "tariff=10"]


def _play(args: list[str], typed: list[str], out) -> object:
    return runner.invoke(
        app, ["play", *args, "--out", str(out)], input="".join(f"{t}\n" for t in typed), terminal_width=200
    )


def _same_game(a, b) -> None:
    """Two finished games' folders hold the same moves, outcomes and daily series."""
    ga, gb = load_game(a / "game.game.toml"), load_game(b / "game.game.toml")
    assert ga.turns == gb.turns and ga.seed == gb.seed and ga.players == gb.players
    assert json.loads((a / "outcomes.json").read_text()) == json.loads((b / "outcomes.json").read_text())
    pd.testing.assert_frame_equal(pd.read_csv(a / "series.csv"), pd.read_csv(b / "series.csv"))


@pytest.mark.slow
@pytest.mark.parametrize(("players", "stop_after"), [(["--china", "pain-driven"], 3), ([], 2)])
def test_a_game_stopped_mid_way_and_resumed_is_the_game_played_straight_through(
    tmp_path, players, stop_after
):
    # pain-driven draws from its own stream: resuming must leave it where it was
    two_teams = not players
    typed = [m for move in US_MOVES for m in ([move, "pace=slow"] if two_teams else [move])]
    typed += ["pass"] * 90
    args = [*players, "--seed", "5"]
    straight = _play(args, typed, tmp_path / "straight")
    assert straight.exit_code == 0, straight.output

    per_turn = 2 if two_teams else 1
    first = typed[: stop_after * per_turn + (1 if two_teams else 0)]  # two-team: US typed, China not
    stopped = _play(args, first, tmp_path / "game")
    assert stopped.exit_code == 1
    saved = tmp_path / "game" / "game.game.toml"
    assert f"the {stop_after} turns played are saved" in stopped.output
    assert f"tradesim play --resume {saved}" in stopped.output
    assert len(load_game(saved).turns) == stop_after

    resumed = runner.invoke(
        app,
        ["play", "--resume", str(saved)],
        input="".join(f"{t}\n" for t in typed[stop_after * per_turn :]),
        terminal_width=200,
    )
    assert resumed.exit_code == 0, resumed.output
    assert f"resuming {saved} after turn {stop_after}" in resumed.output
    _same_game(tmp_path / "straight", tmp_path / "game")


def test_a_game_is_saved_before_the_first_move_so_its_fresh_seed_is_kept(tmp_path):
    stopped = _play(["--china", "dove"], [], tmp_path / "g")  # no --seed: a fresh one
    assert stopped.exit_code == 1
    record = load_game(tmp_path / "g" / "game.game.toml")
    assert record.turns == [] and record.players == {"us": "human", "china": "dove"}
    assert f"(seed {record.seed}," in stopped.output


def test_resuming_a_file_that_does_not_match_its_seed_is_refused(tmp_path, baseline):
    game = Game(baseline.spec, 3, 0)
    play(
        game,
        make_strategy("hawk", "us", game.model.params, game.streams),
        make_strategy("dove", "china", game.model.params, game.streams),
    )
    record = record_of("baseline", game, {"us": "hawk", "china": "dove"})
    record.turns = record.turns[:3]
    record.turns[1].us = {"tariff": 5.0}  # edited by hand: the hawk never plays this
    game, players = resume_game(record, baseline)
    with pytest.raises(GameFileError, match="turn 2: hawk would now play"):
        play(game, players["us"], players["china"])
    path = save_game(record, tmp_path / "edited.game.toml")
    shown = runner.invoke(app, ["play", "--resume", str(path)], terminal_width=200)
    assert shown.exit_code == 2 and "hawk would now play" in shown.output


def test_resume_and_replay_together_are_refused(tmp_path):
    shown = runner.invoke(app, ["play", "--resume", "a.game.toml", "--replay", "a.game.toml"])
    assert shown.exit_code == 2 and "choose one" in shown.output
    shown = runner.invoke(app, ["play", "--resume", "a.game.toml", "--china", "hawk"], terminal_width=200)
    assert shown.exit_code == 2 and "from the game file" in shown.output


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_ctrl_c_at_a_terminal_keeps_the_turns_played_and_resume_finishes_the_game(tmp_path):
    """Two turns typed at a real terminal, Ctrl-C at the third prompt, then --resume to the end."""
    import fcntl
    import pty
    import select
    import termios

    def at_terminal(args: list[str], typed: list[str], interrupt_at_prompt: int | None) -> tuple[int, str]:
        primary, secondary = pty.openpty()

        def own_terminal() -> None:  # the pty becomes the controlling terminal: ^C sends SIGINT
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        process = subprocess.Popen(
            [sys.executable, "-m", "sim", "play", *args],
            stdin=secondary,
            stdout=secondary,
            stderr=secondary,
            cwd=ROOT,
            preexec_fn=own_terminal,
        )
        os.close(secondary)
        seen, prompts, deadline = b"", 0, time.monotonic() + 120
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
                # A prompt is written in two pieces ("... [pass]:", then input()'s " "), which may
                # arrive in two reads: count prompts in everything seen, so each is answered once.
                # The next prompt comes only after this answer is read, so they never run ahead.
                if seen.rstrip().endswith(b"[pass]:") and seen.count(b"[pass]:") > prompts:
                    prompts += 1
                    if prompts == interrupt_at_prompt:
                        os.write(primary, b"\x03")  # Ctrl-C, as the person types it
                    elif typed:
                        os.write(primary, (typed.pop(0) + "\n").encode())
            elif process.poll() is not None:
                break
        process.wait(timeout=10)
        os.close(primary)
        text = re.sub(r"\x1b\[[0-9;]*m", "", seen.decode("utf-8", "replace"))  # a terminal gets colours
        return process.returncode, " ".join(text.split())  # unwrapped

    common = ["--china", "tit-for-tat", "--seed", "4"]
    moves = ["tariff=90 chips=tighten", "stance=hold", "chips=ease", "tariff=20"] + ["pass"] * 40
    code, _ = at_terminal([*common, "--out", str(tmp_path / "straight")], list(moves), None)
    assert code == 0

    code, text = at_terminal([*common, "--out", str(tmp_path / "game")], list(moves[:2]), 3)
    saved = tmp_path / "game" / "game.game.toml"
    assert code == 1, text[-2000:]
    assert "Traceback" not in text
    # Ctrl-C at the third prompt: the two turns played are saved, and only they
    said = re.search(r"the (\d+) turns? played (?:are|is) saved", text)
    assert said, text[-2000:]
    played = int(said.group(1))
    assert played == 2, text[-2000:]
    expected = [{"tariff": 90.0, "chips": "tighten"}, {"stance": "hold"}]
    assert [t.us for t in load_game(saved).turns] == expected

    code, text = at_terminal(["--resume", str(saved)], list(moves[played:]), None)
    assert code == 0, text[-2000:]
    assert "game saved" in text
    _same_game(tmp_path / "straight", tmp_path / "game")
