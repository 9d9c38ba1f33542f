"""The idle spin: how long the loop polls after an answer, when it rests, and which servers use it."""

from __future__ import annotations

import asyncio
import http.client
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from mockserver.contract.settings import MAX_IDLE_SPIN_US, Settings
from mockserver.live import LiveServer
from mockserver.live.loop.idle_spin import MISSES_TO_REST, REST_ANSWERS, IdleSpin
from mockserver.live.loop.server import new_event_loop


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = new_event_loop()  # uvloop's, as the server runs
    yield loop
    loop.close()


def _turn(loop: asyncio.AbstractEventLoop) -> None:
    """Run the loop's ready callbacks once (one `_tick`)."""
    loop.run_until_complete(asyncio.sleep(0))


def test_an_armed_spin_keeps_the_loop_busy_until_its_window_passes(loop: asyncio.AbstractEventLoop) -> None:
    clock = Clock()
    spin = IdleSpin(loop, 0.001, clock)
    spin.arm()
    for _ in range(3):  # within the window every turn schedules the next
        clock.now += 0.0002
        _turn(loop)
        assert spin.active, "the spin stopped inside its window"
    clock.now += 0.001
    _turn(loop)
    assert not spin.active  # the window passed: the loop may sleep


def test_an_answer_during_the_spin_counts_as_a_hit_and_extends_it(loop: asyncio.AbstractEventLoop) -> None:
    clock = Clock()
    spin = IdleSpin(loop, 0.001, clock)
    spin.arm()
    clock.now = 0.0008
    spin.arm()  # the next request came and was answered while the loop spun
    assert (spin.spins, spin.hits) == (1, 1)
    clock.now = 0.0015  # past the first window, inside the extended one
    _turn(loop)
    assert spin.active


def test_while_armed_the_loop_polls_instead_of_sleeping(loop: asyncio.AbstractEventLoop) -> None:
    polls = 0

    def counting() -> float:
        nonlocal polls
        polls += 1
        return time.perf_counter()

    spin = IdleSpin(loop, 10.0, counting)
    spin.arm()
    loop.run_until_complete(asyncio.sleep(0.05))  # nothing else to do: a sleeping loop would poll once
    assert polls > 10
    assert spin.active


def _miss(loop: asyncio.AbstractEventLoop, spin: IdleSpin, clock: Clock) -> None:
    spin.arm()
    clock.now += 1.0
    _turn(loop)


def test_spins_that_catch_nothing_rest_then_try_again(loop: asyncio.AbstractEventLoop) -> None:
    clock = Clock()
    spin = IdleSpin(loop, 0.001, clock)
    for _ in range(MISSES_TO_REST):
        _miss(loop, spin, clock)
    assert spin.spins == MISSES_TO_REST
    for _ in range(REST_ANSWERS):  # a client that pauses: these answers do not spin
        spin.arm()
        assert not spin.active
    assert spin.spins == MISSES_TO_REST
    spin.arm()
    assert spin.spins == MISSES_TO_REST + 1


def test_a_hit_resets_the_misses(loop: asyncio.AbstractEventLoop) -> None:
    clock = Clock()
    spin = IdleSpin(loop, 0.001, clock)
    for _ in range(MISSES_TO_REST - 1):
        _miss(loop, spin, clock)
    spin.arm()
    spin.arm()  # a hit
    clock.now += 1.0
    _turn(loop)  # one miss after the hit: the count starts again, no rest
    spin.arm()
    assert spin.spins == MISSES_TO_REST + 1


def _get(port: int) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        for _ in range(3):  # kept alive: each answer arms the spin, the next request ends it
            connection.request("GET", "/__mock/journal")
            response = connection.getresponse()
            response.read()
            assert response.status == 200
        return response.status
    finally:
        connection.close()


@contextmanager
def serving_in_the_foreground(settings: Settings) -> Iterator[LiveServer]:
    """`serve()`, as the command runs it, on a helper thread; stopped and joined after."""
    server = LiveServer(settings).bind()
    thread = threading.Thread(target=server.serve, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        for _ in range(200):  # until the serving thread has built its loop
            if server.running:
                break
            threading.Event().wait(0.01)  # start-up polling, not an assertion on time
        yield server
    finally:
        server.stop()
        thread.join(10)
    assert not thread.is_alive()


def test_a_server_serving_in_the_foreground_spins_for_its_setting() -> None:
    with serving_in_the_foreground(Settings(port=0, quiet=True, idle_spin_us=250)) as server:
        assert _get(server.port) == 200
        spin = server.idle_spin
        assert spin is not None and spin.seconds == pytest.approx(0.00025)
        assert spin.spins + spin.hits >= 1  # the answers above armed it


@pytest.mark.parametrize("settings", [Settings(port=0, quiet=True), Settings(port=0, quiet=True, idle_spin_us=0)])
def test_a_server_on_a_thread_of_the_callers_process_never_spins(settings: Settings) -> None:
    with LiveServer(settings) as server:  # start(): the fixtures' and video_server's way
        assert _get(server.port) == 200
        assert server.idle_spin is None


def test_the_foreground_server_does_not_spin_when_told_not_to() -> None:
    with serving_in_the_foreground(Settings(port=0, quiet=True, idle_spin_us=0)) as server:
        assert _get(server.port) == 200
        assert server.idle_spin is None


@pytest.mark.parametrize("value", ["-1", str(MAX_IDLE_SPIN_US + 1), "fast"])
def test_a_bad_idle_spin_is_refused_with_one_line(value: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", "--port", "0", "--idle-spin-us", value],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "idle_spin_us" in result.stderr
    assert "Traceback" not in result.stderr
