"""The workshop's web layer: who may do what, bounded and checked input, clear 4xx that change nothing."""

from __future__ import annotations

import time

import pytest
from starlette.testclient import TestClient

from sim.workshop.classroom.app import build_app
from sim.workshop.classroom.room import Room, Settings
from sim.workshop.classroom.transport import MAX_BODY_BYTES
from sim.workshop.moves import format_moves

JSON = {"accept": "application/json"}


@pytest.fixture
def web(tmp_path):
    settings = Settings(games=2, seed=4, turn_seconds=0.0, strategy="dove", reps=2)
    room = Room.create(tmp_path / "class.sqlite", settings)
    with TestClient(build_app(room, "http://127.0.0.1:8000/"), base_url="http://127.0.0.1") as client:
        yield room, client
    room.store.close()


def _join(client, name: str, seat: str) -> str:
    r = client.post("/join", data={"name": name, "seat": seat}, headers=JSON)
    assert r.status_code == 200, r.text
    return r.json()["token"]


def _snapshot(room: Room):
    return (
        {n: (lg.turn, dict(lg.pending)) for n, lg in room.games.items()},
        room.paused,
        room.revealed,
        len(room.store.entries()),
    )


def test_a_team_moves_only_for_its_side_of_its_game(web):
    room, client = web
    us1 = _join(client, "Eagles", "1:us")
    _join(client, "Dragons", "1:china")
    china2 = _join(client, "Pandas", "2:china")
    before = _snapshot(room)
    # the US team of game 1 sends China's instruments, or names a game or a side: refused
    for fields in ({"turn": "1", "pace": "fast"}, {"turn": "1", "side": "china"}, {"turn": "1", "game": "2"}):
        r = client.post(f"/team/{us1}/move", data=fields, headers=JSON)
        assert r.status_code == 400 and "not a move of us" in r.json()["error"]
    assert _snapshot(room) == before
    # its legal move lands in game 1 only; game 2's China team is untouched
    r = client.post(f"/team/{us1}/move", data={"turn": "1", "tariff": "60"}, headers=JSON)
    assert r.status_code == 200 and r.json()["moves"] == "tariff=60"
    assert room.games[1].pending == {"us": {"tariff": 60.0}} and room.games[2].pending == {}
    r = client.post(f"/team/{china2}/move", data={"turn": "1", "tariff": "60"}, headers=JSON)
    assert room.games[2].pending == {"china": {"tariff": 60.0}}


def test_team_names_are_shown_as_text_never_as_markup(web):
    _, client = web
    team = _join(client, "<script>alert(1)</script>", "1:us")
    for page in (client.get(f"/team/{team}").text, client.get("/").text):
        assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_only_the_facilitator_pauses_advances_or_reveals(web):
    room, client = web
    team = _join(client, "Eagles", "1:us")
    before = _snapshot(room)
    for who in (team, "guess", ""):
        for action in ("reveal", "advance", "resume", "pause", "extend"):
            r = client.post(f"/facilitator/{who}/{action}", data={"game": "all"}, headers=JSON)
            assert r.status_code in (403, 404), (who, action, r.status_code)
        assert client.get(f"/facilitator/{who}").status_code in (403, 404)
        assert client.get(f"/facilitator/{who}/export/1").status_code in (403, 404)
    assert client.get("/debrief").status_code == 403  # not revealed yet
    assert _snapshot(room) == before
    token = room.facilitator_token
    assert client.post(f"/facilitator/{token}/reveal", headers=JSON).status_code == 200
    assert room.revealed and all(lg.finished for lg in room.games.values())
    assert client.get("/debrief").status_code == 200


def test_only_the_facilitator_frees_a_seat_and_the_old_link_is_refused_afterwards(web):
    room, client = web
    us = _join(client, "Eagles", "1:us")
    china = _join(client, "Dragons", "1:china")
    before = _snapshot(room)
    for who in (us, china, "guess"):
        r = client.post(f"/facilitator/{who}/free", data={"game": "1", "side": "china"}, headers=JSON)
        assert r.status_code in (403, 404)
    assert _snapshot(room) == before and room.seat(china).side == "china"
    token = room.facilitator_token
    for fields in ({"game": "1", "side": "russia"}, {"game": "9", "side": "us"}, {"game": "2", "side": "us"}):
        r = client.post(f"/facilitator/{token}/free", data=fields, headers=JSON)
        assert r.status_code in (400, 409) and r.json()["error"]
    assert _snapshot(room) == before
    r = client.post(f"/facilitator/{token}/free", data={"game": "1", "side": "china"}, headers=JSON)
    assert r.status_code == 200
    assert r.json()["games"][0]["teams"] == {"us": "Eagles", "china": None}
    page = client.get(f"/team/{china}")
    assert page.status_code == 403 and "freed this seat" in page.text
    r = client.post(f"/team/{china}/move", data={"turn": "1", "pace": "fast"}, headers=JSON)
    assert r.status_code == 403 and room.games[1].pending == {}
    with client.stream("GET", f"/events/{china}") as stream:
        assert stream.status_code == 403
    assert "free seat" in client.get(f"/facilitator/{token}").text  # the US seat can still be freed
    new = _join(client, "Pandas", "1:china")  # a new team takes the seat, and the game goes on
    client.post(f"/facilitator/{token}/resume")
    client.post(f"/team/{us}/move", data={"turn": "1", "tariff": "70"}, headers=JSON)
    client.post(f"/team/{new}/move", data={"turn": "1", "pace": "slow"}, headers=JSON)
    assert room.state(1)["turn"] == 2 and room.games[1].sources[0] == {"us": "team", "china": "team"}


def test_malformed_and_oversized_requests_get_a_clear_4xx_and_change_nothing(web):
    room, client = web
    team = _join(client, "Eagles", "1:us")
    token = room.facilitator_token
    before = _snapshot(room)
    bad = [
        (f"/team/{team}/move", {"data": {"turn": "1", "tariff": "abc"}}, 400, "tariff=abc"),
        (f"/team/{team}/move", {"data": {"turn": "1", "chips": "<script>"}}, 400, "chips must be one of"),
        (f"/team/{team}/move", {"content": "turn=1&tariff=5&tariff=6"}, 400, "twice"),
        (f"/team/{team}/move", {"content": b"\xff\xfe", "headers": {"content-type": "text/plain"}}, 415, ""),
        (
            f"/team/{team}/move",
            {"content": "{nope", "headers": {"content-type": "application/json"}},
            400,
            "JSON",
        ),
        (f"/team/{team}/move", {"content": "x" * (MAX_BODY_BYTES + 1)}, 413, "over"),
        (f"/team/{team}/move", {"content": "&".join(f"f{i}=1" for i in range(50))}, 400, "too many"),
        (f"/team/{team}/move", {"json": {"turn": "1", "tariff": {"a": 1}}}, 400, "JSON must be"),
        ("/team/not-a-token/move", {"data": {"turn": "1"}}, 404, "unknown team"),
        (f"/facilitator/{token}/extend", {"data": {"game": "9", "seconds": "60"}}, 400, "game must be"),
        (f"/facilitator/{token}/extend", {"data": {"game": "1", "seconds": "1e9"}}, 400, "seconds"),
        (f"/facilitator/{token}/extend", {"data": {"game": "1", "seconds": "nan"}}, 400, "seconds"),
        (f"/facilitator/{token}/explode", {"data": {}}, 404, "no such action"),
        ("/join", {"data": {"name": "", "seat": "auto"}}, 400, "team name"),
        ("/join", {"data": {"name": "x" * 41, "seat": "auto"}}, 400, "team name"),
        ("/join", {"data": {"name": "Owls", "seat": "1:us"}}, 409, "taken"),
        ("/join", {"data": {"name": "Owls", "seat": "3:us"}}, 400, "game must be"),
        ("/join", {"data": {"name": "Owls", "seat": "1:mars"}}, 400, "side must be"),
        ("/forecast", {"data": {"name": "Ana", "probability": "30"}}, 409, "not open"),
    ]
    for url, kwargs, code, words in bad:
        headers = JSON | kwargs.pop("headers", {})
        if "content" in kwargs and "content-type" not in headers:
            headers["content-type"] = "application/x-www-form-urlencoded"
        r = client.post(url, headers=headers, **kwargs)
        assert r.status_code == code, (url, kwargs, r.status_code, r.text)
        assert words in r.text, (url, r.text)
    assert _snapshot(room) == before
    # the same refusal as a page names the problem in words
    r = client.post(f"/team/{team}/move", data={"turn": "1", "tariff": "abc"})
    assert r.status_code == 400 and "Nothing was changed" in r.text and "tariff=abc" in r.text


def test_forecast_round_and_debrief_pages(web):
    room, client = web
    token = room.facilitator_token
    client.post(f"/facilitator/{token}/forecast-open")
    bad = {"name": "Ana", "probability": "30", "q0": "2", "q1": "1", "q2": "3"}  # quantiles decrease
    r = client.post("/forecast", data=bad, headers=JSON)
    assert r.status_code == 400 and "quantile" in r.json()["error"] and room.store.forecasts() == []
    good = bad | {"q0": "0.1", "q1": "0.5", "q2": "1.5"}
    assert client.post("/forecast", data=good, headers=JSON).status_code == 200
    assert len(room.store.forecasts()) == 4  # one probability, three quantiles
    # the same device may change its forecast; another device may not take the name
    assert client.post("/forecast", data=good | {"probability": "40"}, headers=JSON).status_code == 200
    with TestClient(client.app, base_url="http://127.0.0.1") as other:
        r = other.post("/forecast", data=good | {"probability": "90"}, headers=JSON)
        assert r.status_code == 409 and "another device" in r.json()["error"]
    assert [row[3] for row in room.store.forecasts() if row[2] is None] == [0.4]
    client.post(f"/facilitator/{token}/reveal")
    deadline = time.monotonic() + 60
    while "still being computed" in (page := client.get("/debrief").text) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "Ana" in page and "G1" in page and "<svg" in page
    r = client.get("/debrief", params={"game": "1", "turn": "1", "side": "us", "moves": "tariff=200"})
    assert r.status_code == 200 and "first day that differs" in r.text
    r = client.get("/debrief", params={"game": "1", "turn": "1", "side": "us", "moves": "tariff=900"})
    assert r.status_code == 400
    # "changed" to the move actually played: the same game, to the last digit
    played = format_moves(room.games[1].game.turns[1].us)
    r = client.get("/debrief", params={"game": "1", "turn": "2", "side": "us", "moves": played})
    assert r.status_code == 200 and "no difference at all" in r.text
