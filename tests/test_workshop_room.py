"""The classroom workshop without a browser: turns, timers, robots, resume, export, and who may do what."""

from __future__ import annotations

import asyncio
import math
import subprocess
import sys

import pytest

from sim.workshop.classroom.room import Room, RoomError, Settings
from sim.workshop.moves import parse_moves
from sim.workshop.records import load_game, load_record_scenario, replay_game
from sim.workshop.strategies import RETALIATE, posture_moves


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _room(tmp_path, clock=None, **settings) -> Room:
    base = {"games": 2, "seed": 11, "turn_seconds": 0.0, "strategy": "hawk", "reps": 2}
    return Room.create(tmp_path / "class.sqlite", Settings(**(base | settings)), clock=clock or FakeClock())


def _same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all((math.isnan(a[k]) and math.isnan(b[k])) or a[k] == b[k] for k in a)


def test_turn_closes_only_when_both_seated_sides_moved(tmp_path):
    room = _room(tmp_path)
    us, china = room.join("Eagles", 1, "us"), room.join("Dragons", 1, "china")
    room.resume_clock()
    room.submit(us.token, {"turn": "1", "tariff": "80"})
    assert room.state(1)["turn"] == 1 and room.state(1)["waiting_for"] == ["china"]
    room.submit(china.token, {"turn": "1", "pace": "slow"})
    assert room.state(1)["turn"] == 2
    turn = room.games[1].game.turns[0]
    assert turn.us == {"tariff": 80.0} and turn.china == {"pace": "slow"}
    assert room.state(2)["turn"] == 1  # the other game (no team) waits for the facilitator


def test_empty_seat_is_played_by_the_strategy(tmp_path):
    room = _room(tmp_path)
    us = room.join("Eagles", 1, "us")
    room.resume_clock()
    status = room.games[1].status
    room.submit(us.token, {"turn": "1", "moves": "pass"})
    turn = room.games[1].game.turns[0]
    assert turn.us == {}
    assert turn.china == posture_moves("china", RETALIATE, status)  # hawk retaliates every turn
    assert room.games[1].sources[0] == {"us": "team", "china": "strategy"}


def test_timer_runs_out_and_a_silent_team_passes_paused_clock_does_not_run(tmp_path):
    clock = FakeClock()
    room = _room(tmp_path, clock, turn_seconds=120.0)
    us, _ = room.join("Eagles", 1, "us"), room.join("Dragons", 1, "china")
    clock.now += 500  # paused at start: the timer does not run
    room.tick()
    assert room.state(1)["turn"] == 1 and room.state(1)["remaining_s"] == 120.0
    room.resume_clock()
    room.submit(us.token, {"turn": "1", "chips": "tighten"})
    room.extend(1, 30)
    clock.now += 149
    room.tick()
    assert room.state(1)["turn"] == 1
    clock.now += 2
    room.tick()
    assert room.state(1)["turn"] == 2
    assert room.games[1].game.turns[0].china == {}
    assert room.games[1].sources[0] == {"us": "team", "china": "pass"}


def test_facilitator_advance_closes_a_turn_now_and_a_turn_limit_ends_the_game(tmp_path):
    room = _room(tmp_path, max_turns=2)
    us = room.join("Eagles", 1, "us")
    room.advance(1)  # paused, nobody moved: the team passes, the robot plays
    first = room.games[1].game.turns[0]
    assert first.us == {} and first.china and room.games[1].sources[0] == {"us": "pass", "china": "strategy"}
    assert room.state(2)["turn"] == 1  # only the game named
    room.resume_clock()
    room.submit(us.token, {"turn": "2", "tariff": "70"})
    lg = room.games[1]
    assert lg.finished  # turn 2 was the last the teams play; the year ran on with passes
    assert lg.game.turns[1].us == {"tariff": 70.0}
    assert all(t.us == {} for t in lg.game.turns[2:]) and len(lg.game.turns) > 2
    with pytest.raises(RoomError) as caught:
        room.submit(us.token, {"turn": "3", "tariff": "10"})
    assert caught.value.status == 409


def test_resume_restores_every_game_to_the_last_submitted_move(tmp_path):
    clock = FakeClock()
    room = _room(tmp_path, clock, turn_seconds=300.0)
    seats = [room.join(f"team {i}") for i in range(4)]  # game 1 US, game 1 China, game 2 US, game 2 China
    room.resume_clock()
    for turn in (1, 2):
        for seat in seats:
            moves = {"tariff": str(40 + turn)} if seat.side == "us" else {"pace": "fast"}
            room.submit(seat.token, {"turn": str(turn), **moves})
    room.submit(seats[0].token, {"turn": "3", "tariff": "33.3"})  # mid-turn when the server dies
    clock.now += 100
    before = {n: (lg.status, dict(lg.pending), room.remaining_s(lg)) for n, lg in room.games.items()}
    room.store.close()

    again = Room.resume(tmp_path / "class.sqlite", clock=clock)
    assert again.paused and again.facilitator_token == room.facilitator_token
    for n, lg in again.games.items():
        status, pending, remaining = before[n]
        assert lg.status == status  # the same model state, to the last digit
        assert lg.pending == pending
        assert lg.remaining_s == pytest.approx(remaining)
    assert again.seat(seats[0].token).game == 1
    again.resume_clock()
    again.submit(seats[1].token, {"turn": "3", "green_channel": "on"})
    assert again.state(1)["turn"] == 4
    assert again.games[1].game.turns[2].us == {"tariff": 33.3}


def test_freed_seat_revokes_the_token_the_strategy_plays_it_and_a_new_team_joins_after_resume(tmp_path):
    clock = FakeClock()
    room = _room(tmp_path, clock)
    us, china = room.join("Eagles", 1, "us"), room.join("Dragons", 1, "china")
    room.resume_clock()
    room.submit(us.token, {"turn": "1", "tariff": "80"})
    status = room.games[1].status
    # China's team left: freeing its seat closes the turn at once (the US had moved; hawk plays China)
    room.free_seat(1, "china")
    assert room.state(1)["turn"] == 2 and room.state(1)["teams"] == {"us": "Eagles", "china": None}
    assert room.games[1].game.turns[0].china == posture_moves("china", RETALIATE, status)
    assert room.games[1].sources[0] == {"us": "team", "china": "strategy"}
    with pytest.raises(RoomError) as refused:
        room.submit(china.token, {"turn": "2", "pace": "fast"})
    assert refused.value.status == 403 and "freed" in refused.value.message
    with pytest.raises(RoomError):
        room.free_seat(1, "china")  # nobody holds it now
    room.store.close()

    again = Room.resume(tmp_path / "class.sqlite", clock=clock)
    with pytest.raises(RoomError) as refused:
        again.seat(china.token)  # still refused after the server restarted
    assert refused.value.status == 403
    assert again.state(1)["turn"] == 2 and again.seat(us.token).side == "us"
    pandas = again.join("Pandas")  # the first free seat is the freed one
    assert (pandas.game, pandas.side) == (1, "china")
    again.resume_clock()
    again.submit(us.token, {"turn": "2", "moves": "pass"})
    assert again.state(1)["turn"] == 2  # waits for the new China team now
    again.submit(pandas.token, {"turn": "2", "pace": "slow"})
    assert again.state(1)["turn"] == 3 and again.games[1].game.turns[1].china == {"pace": "slow"}
    assert again.played_by(1) == {"us": "Eagles", "china": "Dragons then Pandas (hawk: 1 turn)"}
    assert again.players(1) == {"us": "human", "china": "human"}  # a changed replay keeps teams' moves


def test_games_in_a_worker_process_play_the_same_turns_and_a_closing_turn_takes_no_more_moves(tmp_path):
    """The server's rooms play their turns in a worker process: same seed and moves, same game."""
    rooms = {}
    for worker in (False, True):
        settings = Settings(games=1, seed=11, turn_seconds=0.0, strategy="pain-driven", reps=2)
        room = Room.create(tmp_path / f"w{worker}.sqlite", settings, clock=FakeClock(), worker=worker)
        us = room.join("Eagles", 1, "us")
        room.resume_clock()
        for turn in (1, 2, 3):
            room.submit(us.token, {"turn": str(turn), "tariff": str(30 + turn)})
            if worker:
                assert room.games[1].closing == "both moved" and room.state(1)["turn"] == turn
                with pytest.raises(RoomError) as refused:  # the turn is being played: too late to change
                    room.submit(us.token, {"turn": str(turn), "tariff": "99"})
                assert refused.value.status == 409
                asyncio.run(room.play_waiting())
        room.reveal()
        asyncio.run(room.play_waiting())
        rooms[worker] = room
    local, remote = rooms[False].games[1], rooms[True].games[1]
    assert remote.finished and remote.game.turns == local.game.turns
    assert remote.game.statuses == local.game.statuses and remote.sources == local.sources
    assert _same(remote.result.outcomes, local.result.outcomes)
    assert rooms[True].store.turns(1) == rooms[False].store.turns(1)
    rooms[True].engine.close()


def test_exported_game_replays_to_identical_outcomes(tmp_path):
    room = _room(tmp_path)
    us, china = room.join("Eagles", 1, "us"), room.join("Dragons", 1, "china")
    room.resume_clock()
    plays = [({"tariff": "97.123456"}, {"pace": "slow"}), ({"chips": "tighten"}, {"military": "review"})]
    for turn, (a, b) in enumerate(plays, start=1):
        room.submit(us.token, {"turn": str(turn), **a})
        room.submit(china.token, {"turn": str(turn), **b})
    room.reveal()  # the rest of the year: teams pass
    path = tmp_path / "g1.game.toml"
    path.write_text(room.export(1), encoding="utf-8")
    record = load_game(path)
    assert record.players == {"us": "human", "china": "human"}
    assert record.turns[0].us == parse_moves("us", "tariff=97.1235")  # as applied, not as typed
    _, replayed = replay_game(record, load_record_scenario(record))
    live = room.games[1].result
    assert _same(replayed.outcomes, live.outcomes)
    assert _same(replayed.game_outcomes(), live.game_outcomes())
    # the game without teams was played by the strategy on both sides, and replays too
    path2 = tmp_path / "g2.game.toml"
    path2.write_text(room.export(2), encoding="utf-8")
    record2 = load_game(path2)
    assert record2.players == {"us": "hawk", "china": "hawk"}
    _, replayed2 = replay_game(record2, load_record_scenario(record2))
    assert _same(replayed2.outcomes, room.games[2].result.outcomes)


def test_refused_requests_change_nothing(tmp_path):
    room = _room(tmp_path)
    us = room.join("Eagles", 1, "us")
    room.join("Dragons", 1, "china")
    cases = [
        ({"turn": "1", "pace": "slow"}, 400),  # China's instrument with a US token
        ({"turn": "1", "tariff": "lots"}, 400),
        ({"turn": "1", "tariff": "-5"}, 400),
        ({"turn": "1", "chips": "maybe"}, 400),
        ({"turn": "1", "game": "2"}, 400),  # no way to name another game
        ({"turn": "7", "tariff": "10"}, 409),  # a stale page
    ]
    for fields, code in cases:
        with pytest.raises(RoomError) as caught:
            room.submit(us.token, fields)
        assert caught.value.status == code, fields
    assert room.games[1].pending == {} and room.store.submissions(1, 1) == {}
    with pytest.raises(RoomError) as caught:
        room.join("Eagles again", 1, "us")
    assert caught.value.status == 409
    with pytest.raises(RoomError):
        room.check_facilitator("not-the-token")


def test_workshop_command_refuses_bad_options_before_serving(tmp_path):
    from typer.testing import CliRunner

    from sim.cli import app

    runner = CliRunner()
    taken = tmp_path / "taken.sqlite"
    taken.write_text("not empty")
    cases = [
        (["--strategy", "genius", "--db", str(tmp_path / "a.sqlite")], "strategy 'genius' must be one of"),
        (["--db", str(taken)], "exists (resume it with --resume"),
        (["--resume", str(tmp_path / "none.sqlite")], "no such workshop file"),
        (["no_such_scenario"], "no_such_scenario"),
        (["--db", str(tmp_path / "no" / "folder.sqlite")], "unable to open"),
    ]
    for args, words in cases:
        result = runner.invoke(app, ["workshop", *args])
        assert result.exit_code == 2, (args, result.output)
        assert words in result.output, (args, result.output)
    assert taken.read_text() == "not empty"


def test_cli_does_not_import_the_web_libraries():
    web = "('starlette', 'uvicorn', 'jinja2')"
    code = f"import sys, sim.cli; print(sorted(m for m in {web} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
