"""`ConnectionThreads`: connections served on reused daemon threads, never one blocking another."""

from __future__ import annotations

import http.client
import threading
from functools import partial
from typing import Any

import pytest

from mockserver.live.serving import SHARED_CONNECTION_THREADS, ConnectionThreads
from tests.live_servers import CREATE, live_server

WAIT = 10.0  # seconds; a bound on waiting for an event, never a timing assertion


class Recorder:
    """A `serve` callable that records which thread served each job and can hold a job open."""

    def __init__(self) -> None:
        self.threads: list[threading.Thread] = []
        self.by_job: dict[Any, threading.Thread] = {}
        self.served = threading.Semaphore(0)
        self.hold: dict[Any, threading.Event] = {}

    def __call__(self, request: Any, address: Any) -> None:
        self.threads.append(threading.current_thread())
        self.by_job[request] = threading.current_thread()
        release = self.hold.get(request)
        if release is not None:
            assert release.wait(WAIT)
        self.served.release()

    def wait_served(self, count: int = 1) -> None:
        for _ in range(count):
            assert self.served.acquire(timeout=WAIT)


def _wait_idle(pool: ConnectionThreads, count: int) -> None:
    """Wait until `count` threads are back waiting for work (they count themselves idle just after serving)."""
    pause = threading.Event()  # never set: a bounded poll, not a timing assumption
    for _ in range(10_000):
        if pool.idle >= count:
            return
        pause.wait(0.001)
    raise AssertionError("threads never became idle")


def test_sequential_connections_reuse_one_thread() -> None:
    recorder = Recorder()
    pool = ConnectionThreads(idle_seconds=WAIT)
    try:
        for n in range(5):
            pool.submit(partial(recorder, n, None))
            recorder.wait_served()
            _wait_idle(pool, 1)
        assert len(recorder.threads) == 5
        assert len(set(recorder.threads)) == 1 and pool.started == 1
        assert recorder.threads[0].daemon
    finally:
        pool.close()


def test_a_held_connection_gets_its_own_thread_and_does_not_block_others() -> None:
    recorder = Recorder()
    release = recorder.hold["held"] = threading.Event()
    pool = ConnectionThreads(idle_seconds=WAIT)
    try:
        pool.submit(partial(recorder, "held", None))
        for n in range(3):
            pool.submit(partial(recorder, n, None))
            recorder.wait_served()  # answered while "held" is still being served
        held_thread = recorder.by_job["held"]
        assert held_thread.is_alive() and held_thread not in [recorder.by_job[n] for n in range(3)]
        release.set()
        recorder.wait_served()
    finally:
        pool.close()


def test_idle_threads_end_after_idle_seconds_and_on_close() -> None:
    recorder = Recorder()
    pool = ConnectionThreads(idle_seconds=0.01)
    pool.submit(partial(recorder, "a", None))
    recorder.wait_served()
    recorder.threads[0].join(WAIT)
    assert not recorder.threads[0].is_alive()

    pool = ConnectionThreads(idle_seconds=WAIT)
    pool.submit(partial(recorder, "b", None))
    recorder.wait_served()
    _wait_idle(pool, 1)
    pool.close()
    recorder.threads[-1].join(WAIT)
    assert not recorder.threads[-1].is_alive()
    with pytest.raises(RuntimeError):
        pool.submit(partial(recorder, "c", None))


def test_the_server_answers_many_connections_on_few_threads() -> None:
    body = b'{"model":"viduq3t-540p","prompt":"a fox"}'
    with live_server(lifecycle="step") as server:
        started_before = SHARED_CONNECTION_THREADS.started
        for _ in range(20):
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=WAIT)
            try:
                connection.request(
                    "POST",
                    CREATE,
                    body=body,
                    headers={"Authorization": "Bearer sk-x", "Content-Type": "application/json"},
                )
                response = connection.getresponse()
                assert response.status == 200, response.read()
                response.read()
            finally:
                connection.close()
        started = SHARED_CONNECTION_THREADS.started - started_before
        # A thread per connection would be 20; a new connection can arrive before the last
        # thread is back waiting, so a few may start (none if idle ones were left from before).
        assert 0 <= started <= 10, started


def test_a_forked_child_forgets_the_parents_threads() -> None:
    recorder = Recorder()
    pool = ConnectionThreads(idle_seconds=WAIT)
    try:
        pool.submit(partial(recorder, "a", None))
        recorder.wait_served()
        _wait_idle(pool, 1)
        pool.after_fork()  # what a forked child runs: the idle thread is not in the child
        assert (pool.idle, pool.started) == (0, 0)
        pool.submit(partial(recorder, "b", None))
        recorder.wait_served()  # served by a new thread, not queued for a missing one
        assert pool.started == 1 and recorder.threads[1] is not recorder.threads[0]
    finally:
        pool.close()


def _finish_a_then_b(recorder: Recorder, pool: ConnectionThreads) -> tuple[threading.Thread, threading.Thread]:
    """Jobs "a" and "b" on two threads, "a" finishing (its thread idle) before "b" does; their threads."""
    first, second = recorder.hold["a"], recorder.hold["b"] = threading.Event(), threading.Event()
    pool.submit(partial(recorder, "a", None))
    pool.submit(partial(recorder, "b", None))
    first.set()
    recorder.wait_served()
    _wait_idle(pool, 1)
    second.set()
    recorder.wait_served()
    return recorder.by_job["a"], recorder.by_job["b"]


def test_the_thread_that_went_idle_last_is_reused_first() -> None:
    recorder = Recorder()
    pool = ConnectionThreads(idle_seconds=WAIT)
    try:
        thread_a, thread_b = _finish_a_then_b(recorder, pool)
        _wait_idle(pool, 2)
        assert thread_a is not thread_b
        pool.submit(partial(recorder, "c", None))
        recorder.wait_served()
        assert recorder.by_job["c"] is thread_b  # a stack: surplus threads stay idle and retire
    finally:
        pool.close()


def test_at_most_max_idle_threads_wait() -> None:
    recorder = Recorder()
    pool = ConnectionThreads(idle_seconds=WAIT, max_idle=1)
    try:
        _, thread_b = _finish_a_then_b(recorder, pool)
        thread_b.join(WAIT)  # one idle already: the second thread ends instead of waiting
        assert not thread_b.is_alive() and pool.idle == 1
    finally:
        pool.close()
