"""The workshop end to end in a real headless Chromium (Debian's chromium and chromium-driver, via Selenium).

A facilitator and four teams in two games play three turns through the pages
(forms, buttons, live updates); one team's page is closed and reopened
mid-turn; the server is killed (SIGKILL) mid-turn and resumed from its file while
the pages stay open and reconnect by themselves; the facilitator frees a seat
(the team's open page says so, the game goes on); the exported game replays to
identical outcomes. Screenshots at 1280x720 (facilitator, debrief) and 390x844
(a team) go to the test's temporary folder, or to ``$TRADESIM_SCREENSHOTS``.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from sim.workshop.records import load_game, load_record_scenario, replay_game

from .conftest import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


def _need_browser():
    missing = [name for name, path in (("chromium", CHROMIUM), ("chromium-driver", DRIVER)) if not path]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium")
    if missing:
        # CI installs them (.ci/run) and must not skip; a laptop without them may
        assert not os.environ.get("CI"), f"CI needs {', '.join(missing)} for this test"
        pytest.skip(f"missing {', '.join(missing)} (Debian: apt-get install chromium chromium-driver)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``tradesim workshop`` in a subprocess on 127.0.0.1, stopped by the test."""

    def __init__(self, folder: Path, port: int):
        self.folder, self.port, self.proc = folder, port, None
        self.db = folder / "class.sqlite"
        self.url = f"http://127.0.0.1:{port}"

    def start(self, *args: str) -> str:
        log = (self.folder / f"server-{time.time_ns()}.log").open("w")
        env = os.environ | {"PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
        command = [sys.executable, "-m", "sim", "workshop", "--host", "127.0.0.1", "--port", str(self.port)]
        self.proc = subprocess.Popen(
            [*command, *args], stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, Path(log.name).read_text()
            try:
                urllib.request.urlopen(self.url + "/", timeout=2).read()
                break
            except OSError:
                time.sleep(0.3)
        else:
            raise AssertionError("the workshop server did not start: " + Path(log.name).read_text())
        text = Path(log.name).read_text()
        return text.split("facilitator:", 1)[1].split()[0]

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def _browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.add_argument("--window-size=1280,720")
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver


def _viewport(driver, width: int, height: int, mobile: bool = False) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
    )


def _wait(what, timeout: float = 30.0, message: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = what()
        except Exception:  # the page may be reloading under us
            value = None
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting: {message}")


def _click(driver, element_id: str) -> None:
    """Click a button, again if a live update reloaded the page under us."""
    from selenium.webdriver.common.by import By

    _wait(lambda: driver.find_element(By.ID, element_id).click() is None, message=f"click {element_id}")


class Team:
    """One team's tab in one browser."""

    def __init__(self, driver, name: str, seat: str):
        self.driver, self.name, self.seat, self.url, self.handle = driver, name, seat, None, None

    def join(self, base: str) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import Select

        self.driver.switch_to.new_window("tab")
        self.handle = self.driver.current_window_handle
        self.driver.get(base + "/")
        self.driver.find_element(By.ID, "name").send_keys(self.name)
        Select(self.driver.find_element(By.ID, "seat")).select_by_value(self.seat)
        self.driver.find_element(By.ID, "join").click()
        _wait(lambda: "/team/" in self.driver.current_url, message=f"{self.name} joins")
        self.url = self.driver.current_url

    def show(self) -> None:
        self.driver.switch_to.window(self.handle)

    def turn(self) -> int:
        from selenium.webdriver.common.by import By

        self.show()
        return int(self.driver.find_element(By.ID, "turn").text)

    def wait_turn(self, turn: int) -> None:
        _wait(lambda: self.turn() == turn, 40, f"{self.name} sees turn {turn}")

    def move(self, values: dict[str, str], turn: int) -> None:
        """Fill the form and send it; again if a live update reloaded the page under us.

        Done when the server has the move (its state says so), not when the click happened.
        """
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.expected_conditions import staleness_of
        from selenium.webdriver.support.ui import Select, WebDriverWait

        side = self.seat.split(":")[1]
        for _ in range(4):
            self.show()
            _wait(
                lambda: (
                    self.driver.execute_script("return document.body.dataset.paused") == "false"
                    and self.driver.execute_script("return document.body.dataset.turn") == str(turn)
                    and self.driver.find_elements(By.ID, "submit")
                ),
                message=f"{self.name}'s form is ready",
            )
            try:
                for key, value in values.items():
                    element = self.driver.find_element(By.ID, f"move-{key}")
                    if element.tag_name == "select":
                        Select(element).select_by_value(value)
                    else:
                        element.clear()
                        element.send_keys(value)
                button = self.driver.find_element(By.ID, "submit")
                button.click()
                WebDriverWait(self.driver, 30).until(staleness_of(button))
            except WebDriverException:
                pass
            state = json.load(urllib.request.urlopen(self.url + "/state"))
            if state["turn"] > turn or state["moved"][side]:
                return
        raise AssertionError(f"{self.name} could not move at turn {turn}")


MOVES = {
    1: {"us": {"tariff": "60", "chips": "tighten"}, "china": {"pace": "slow"}},
    2: {"us": {"tariff": "45.5"}, "china": {"green_channel": "on", "tariff": "20"}},
    3: {"us": {"chips": "ease"}, "china": {"pace": "fast"}},
}

#: Game 2 plays other moves on the same luck: its outcomes must differ from game 1's.
OTHER = {
    1: {"us": {"tariff": "10", "chips": "ease"}, "china": {"pace": "fast", "green_channel": "on"}},
    2: {"us": {"tariff": "10"}, "china": {"tariff": "10"}},
    3: {"us": {"chips": "ease"}, "china": {"military": "review"}},
}


def test_a_class_plays_three_turns_in_real_browsers_survives_a_crash_and_replays(tmp_path):
    _need_browser()
    from selenium.webdriver.common.by import By

    shots = Path(os.environ.get("TRADESIM_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    server = Server(tmp_path, _free_port())
    options = ["--games", "2", "--seed", "5", "--turn-minutes", "10", "--strategy", "hawk", "--reps", "20"]
    facilitator_url = server.start(*options, "--db", str(server.db))
    assert facilitator_url.startswith(server.url + "/facilitator/")
    token = facilitator_url.rsplit("/", 1)[1]
    # two browsers, so that no browser holds more than its six connections to one server
    a, b = _browser(), _browser()
    try:
        a.get(facilitator_url)
        fac = a.current_window_handle
        assert "Join at" in a.page_source and "<svg" in a.page_source  # the QR code
        teams = [Team(a, "Eagles", "1:us"), Team(a, "Dragons", "1:china"), Team(b, "Owls", "2:us")]
        teams.append(Team(b, "Pandas", "2:china"))
        for team in teams:
            team.join(server.url)
        # before the game: a forecast round, answered on a team's device
        a.switch_to.window(fac)
        a.refresh()
        _click(a, "forecast-open")
        _wait(lambda: a.find_elements(By.ID, "forecast-close"), message="forecasts open")
        b.switch_to.new_window("tab")
        b.get(server.url + "/forecast")
        for field, value in (("f-name", "Owls"), ("f-probability", "35"), ("f-q0", "0.4"), ("f-q1", "0.9")):
            b.find_element(By.ID, field).send_keys(value)
        b.find_element(By.ID, "f-q2").send_keys("1.6")
        b.find_element(By.ID, "f-submit").click()
        _wait(lambda: b.find_elements(By.ID, "saved"), message="forecast saved")
        b.close()
        b.switch_to.window(teams[2].handle)
        _click(a, "forecast-close")
        _wait(lambda: a.find_elements(By.ID, "forecast-open"), message="forecasts closed")
        _click(a, "resume")
        _wait(lambda: "clock running" in a.find_element(By.ID, "clock").text, message="clock starts")

        for turn in (1, 2, 3):
            for team in teams:
                team.wait_turn(turn)
            for i, team in enumerate(teams):
                side = team.seat.split(":")[1]
                if turn == 2 and team.name == "Dragons":
                    # the page is closed mid-turn and opened again from its address
                    url = team.url
                    team.show()
                    team.driver.close()
                    team.driver.switch_to.window(team.driver.window_handles[0])
                    team.driver.switch_to.new_window("tab")
                    team.handle = team.driver.current_window_handle
                    team.driver.get(url)
                    assert "Waiting for" not in team.driver.page_source  # it had not moved yet
                    assert team.turn() == 2
                if turn == 3 and i == 1:
                    # the server dies mid-turn (one team has moved) and is resumed from its file
                    a.switch_to.window(teams[0].handle)
                    _viewport(a, 390, 844, mobile=True)
                    a.save_screenshot(str(shots / "team-390x844.png"))
                    a.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
                    server.kill()
                    _wait(
                        lambda: not a.find_element(By.ID, "conn").get_attribute("hidden"),
                        20,
                        "page sees loss",
                    )
                    server.start("--resume", str(server.db))
                    # the open pages reconnect by themselves and show the paused, resumed room
                    _wait(lambda: a.find_elements(By.ID, "paused"), 40, "team page reconnects")
                    assert "chips=ease" in a.find_element(By.ID, "sent").text  # its move was kept
                    a.switch_to.window(fac)
                    a.get(facilitator_url)
                    _click(a, "resume")
                    _wait(lambda: "clock running" in a.find_element(By.ID, "clock").text, message="restart")
                team.move(MOVES[turn][side] if team.seat[0] == "1" else OTHER[turn][side], turn)
        for team in teams:
            team.wait_turn(4)

        # the facilitator frees game 2's China seat: that team's open page says so by itself, its
        # address is refused, and game 2 goes on with the strategy playing China
        a.switch_to.window(fac)
        a.get(facilitator_url)
        _click(a, "free-2-china")
        teams[3].show()
        _wait(lambda: "freed this seat" in b.page_source, 30, "the freed team's page says so")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(teams[3].url + "/state")
        assert refused.value.code == 403
        teams[2].move({"tariff": "15"}, 4)
        teams[2].wait_turn(5)

        a.switch_to.window(fac)
        a.get(facilitator_url)
        _viewport(a, 1280, 720)
        a.save_screenshot(str(shots / "facilitator-1280x720.png"))
        _click(a, "reveal")
        _wait(lambda: "Reveal" not in a.page_source, 60, "reveal")
        # the team page at the end of the game, on a phone
        a.switch_to.window(teams[0].handle)
        _wait(lambda: "The game is over" in a.page_source, 30, "team page shows the end")
        _viewport(a, 390, 844, mobile=True)
        a.save_screenshot(str(shots / "team-end-390x844.png"))
        a.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        _viewport(a, 1280, 720)
        a.get(server.url + "/debrief")
        _wait(lambda: (a.refresh(), "<svg" in a.page_source)[1], 120, "debrief charts")
        assert "Owls" in a.page_source  # the forecast, scored
        a.save_screenshot(str(shots / "debrief-1280x720.png"))
        # same luck, one move changed: game 1 with the US raising its tariff to 200 at turn 2
        a.find_element(By.ID, "w-turn").clear()
        a.find_element(By.ID, "w-turn").send_keys("2")
        a.find_element(By.ID, "w-moves").clear()
        a.find_element(By.ID, "w-moves").send_keys("tariff=200")
        a.find_element(By.ID, "w-submit").click()
        whatif = _wait(lambda: a.find_elements(By.ID, "whatif"), 60, "what-if")[0]
        assert "first day that differs: 2025-06-30" in whatif.text
        a.execute_script("arguments[0].scrollIntoView()", whatif)
        a.save_screenshot(str(shots / "debrief-whatif-1280x720.png"))

        # every game exported replays to the outcomes the server computed, to the last digit (game 2's
        # China is still "human": its team played turns 1 to 3, so a changed replay keeps those moves)
        outcomes = []
        for number in (1, 2):
            text = urllib.request.urlopen(f"{server.url}/facilitator/{token}/export/{number}").read()
            path = tmp_path / f"game{number}.game.toml"
            path.write_bytes(text)
            served = json.load(urllib.request.urlopen(f"{server.url}/facilitator/{token}/outcomes/{number}"))
            record = load_game(path)
            us, china = ("Eagles", "Dragons") if number == 1 else ("Owls", "Pandas")
            assert record.players == {"us": "human", "china": "human"}, (us, china)
            typed = MOVES if number == 1 else OTHER
            for turn in (1, 2, 3):
                played = record.turns[turn - 1]
                assert {k: str(v).removesuffix(".0") for k, v in played.us.items()} == typed[turn]["us"]
                assert {k: str(v).removesuffix(".0") for k, v in played.china.items()} == typed[turn]["china"]
            _, replayed = replay_game(record, load_record_scenario(record))
            outcomes.append(served["game"])
            for name, value in replayed.outcomes.items():
                assert (math.isnan(value) and served["model"][name] is None) or value == served["model"][name]
        assert outcomes[0] != outcomes[1]  # same luck, other moves
    finally:
        a.quit()
        b.quit()
        server.stop()
    for name in ("team-390x844.png", "facilitator-1280x720.png", "debrief-1280x720.png"):
        assert (shots / name).stat().st_size > 10_000, name
