"""requests and aiohttp under `video_api` against `responses` / `aioresponses` with static answers.

A round is what a client under test does: POST a create, then GET the job twice. The
headline (issue 34, target <= 1.5x): `requests` under `video_api` against the same calls
under `responses` with static callbacks. Two more rows back the choice of transport:

- requests: `responses` static against a bare `HTTPAdapter.send` patch of our own, static
  (what the kept library costs over the smallest transport we could write);
- aiohttp: `aioresponses` static against our in-memory connection (`ApiConnection`) given
  a static answer (what aiohttp's own parsing of real bytes costs), and `video_api`.

Blocks alternate the sides' order; each figure is the median over blocks of microseconds
per round, each ratio the median of per-block ratios. The load average is printed: a
figure taken with load above 2 does not count as a target met.

    python bench/bench_client_bridges.py            # 12 blocks x 200 rounds per side
    python bench/bench_client_bridges.py --quick    # 2 blocks x 10 (smoke test)
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import aiohttp
import requests
import responses
from aioresponses import CallbackResult, aioresponses
from fixed_job import FIXED_JOB
from requests.adapters import HTTPAdapter
from urllib3 import HTTPResponse

from mockserver.contract.messages import Outgoing
from pytest_plugin import VideoAPI
from pytest_plugin.aiohttp_bridge import AiohttpBridge
from pytest_plugin.client_seam import Where

TARGET = 1.5
BASE_URL = "https://api.vidu.test"
CREATE = f"{BASE_URL}/v1/video/generations"
POLL = re.compile(rf"^{re.escape(CREATE)}/[^/]+$")
AUTH = {"Authorization": "Bearer sk-bench"}
JSON = {"Content-Type": "application/json"}


def body(number: int) -> dict[str, Any]:
    return {"model": "viduq3p-720p", "prompt": f"a red fox in fresh snow, take {number}", "duration": 5}


# -- requests ----------------------------------------------------------------------------------
def requests_rounds(session: requests.Session, count: int, start: int) -> float:
    began = time.perf_counter()
    for number in range(start, start + count):
        created = session.post(CREATE, json=body(number), timeout=10)
        task_id = created.json()["id"]
        for _ in range(2):
            polled = session.get(f"{CREATE}/{task_id}", timeout=10)
            if polled.status_code != 200 or polled.json()["id"] != task_id:
                raise SystemExit(f"requests round {number} failed: {created.status_code} {polled.status_code}")
    return time.perf_counter() - began


def static_responses() -> responses.RequestsMock:
    mock = responses.RequestsMock(assert_all_requests_are_fired=False)
    answer: Callable[[Any], tuple[int, Mapping[str, str], bytes]] = lambda request: (200, JSON, FIXED_JOB)  # noqa: E731
    mock.add_callback(responses.POST, CREATE, callback=answer)
    mock.add_callback(responses.GET, POLL, callback=answer)
    return mock


@contextmanager
def own_adapter() -> Iterator[None]:
    """The smallest transport of our own: `HTTPAdapter.send` answering a static job."""
    original = HTTPAdapter.send

    def send(adapter: HTTPAdapter, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        raw = HTTPResponse(body=io.BytesIO(FIXED_JOB), headers=JSON, status=200, preload_content=False)
        return adapter.build_response(request, raw)

    HTTPAdapter.send = send  # type: ignore[assignment,method-assign]
    try:
        yield
    finally:
        HTTPAdapter.send = original  # type: ignore[method-assign]


# -- aiohttp -----------------------------------------------------------------------------------
async def aiohttp_rounds(session: aiohttp.ClientSession, count: int, start: int) -> float:
    began = time.perf_counter()
    for number in range(start, start + count):
        async with session.post(CREATE, json=body(number)) as created:
            task_id = (await created.json())["id"]
        for _ in range(2):
            async with session.get(f"{CREATE}/{task_id}") as polled:
                if polled.status != 200 or (await polled.json())["id"] != task_id:
                    raise SystemExit(f"aiohttp round {number} failed: {polled.status}")
    return time.perf_counter() - began


@contextmanager
def static_aioresponses() -> Iterator[None]:
    def answer(url: Any, **kwargs: Any) -> CallbackResult:
        return CallbackResult(status=200, body=FIXED_JOB, headers=JSON)

    with aioresponses() as mock:  # routes can only be added to a started mock
        mock.post(CREATE, callback=answer, repeat=True)
        mock.get(POLL, callback=answer, repeat=True)
        yield


class StaticExchanger:
    """Answers every URL with the static job: our in-memory connection without the engine."""

    def where(self, url: str) -> Where:
        return Where(BASE_URL, "/v1/video/generations")

    def exchange(self, method: str, where: Where, headers: Mapping[str, str], body: bytes) -> Outgoing:
        return Outgoing(200, dict(JSON), FIXED_JOB)


@contextmanager
def own_connection() -> Iterator[None]:
    bridge = AiohttpBridge(StaticExchanger())
    bridge.start()
    try:
        yield
    finally:
        bridge.stop()


# -- the run -------------------------------------------------------------------------------------
def measure(
    sides: dict[str, Callable[[], AbstractContextManager[object]]],
    run: Callable[[int, int], float],
    blocks: int,
    rounds: int,
) -> dict[str, list[float]]:
    for label, enter in list(sides.items()):
        try:
            with enter():
                run(20, 0)  # warm-up: validators compiled, caches filled
        except Exception as error:  # a kept library that does not run with this client's version
            print(f"{label}: does not run here ({type(error).__name__}: {error}); left out")
            del sides[label]
    timings: dict[str, list[float]] = {label: [] for label in sides}
    labels = list(sides)
    for number in range(blocks):
        order = labels[number % len(labels) :] + labels[: number % len(labels)]
        for label in order if number % 2 == 0 else order[::-1]:
            with sides[label]():
                timings[label].append(run(rounds, 1000 + number * rounds) / rounds * 1e6)
    return timings


def ratio(timings: dict[str, list[float]], top: str, bottom: str) -> str:
    if top not in timings or bottom not in timings:
        return "n/a"
    return f"{statistics.median(t / b for t, b in zip(timings[top], timings[bottom], strict=True)):.2f}"


def main(argv: list[str] | None = None) -> int:
    """Run both clients' comparisons and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2 blocks x 10 rounds (smoke test)")
    parser.add_argument("--blocks", type=int, default=12)
    parser.add_argument("--rounds", type=int, default=200, help="rounds (create + 2 polls) per block and side")
    args = parser.parse_args(argv)
    if args.quick:
        args.blocks, args.rounds = 2, 10
    load_before = os.getloadavg()[0]

    api = VideoAPI()
    session = requests.Session()
    session.headers.update(AUTH)
    req = measure(
        {"responses static": static_responses, "own adapter static": own_adapter, "video_api": lambda: api},
        lambda count, start: requests_rounds(session, count, start),
        args.blocks,
        args.rounds,
    )

    loop = asyncio.new_event_loop()

    async def open_session() -> aiohttp.ClientSession:
        return aiohttp.ClientSession(headers=AUTH)

    aio_session = loop.run_until_complete(open_session())
    aio = measure(
        {"aioresponses static": static_aioresponses, "own connection static": own_connection, "video_api": lambda: api},
        lambda count, start: loop.run_until_complete(aiohttp_rounds(aio_session, count, start)),
        args.blocks,
        args.rounds,
    )
    loop.run_until_complete(aio_session.close())
    loop.close()
    load = max(load_before, os.getloadavg()[0])

    print(
        f"One round = create + 2 polls; {args.blocks} block(s) x {args.rounds} rounds per side; "
        f"{os.cpu_count()} CPUs, load average {load:.1f}"
    )
    print(f"{'client':<9} {'side':<22} {'median us/round':>15} {'min':>7}")
    for client, timings in (("requests", req), ("aiohttp", aio)):
        for label, values in timings.items():
            print(f"{client:<9} {label:<22} {statistics.median(values):>15.0f} {min(values):>7.0f}")
    headline = ratio(req, "video_api", "responses static")
    verdict = "meets" if float(headline) <= TARGET else "MISSES"
    if load > 2:
        verdict += f" (load {load:.1f} > 2: does not count)"
    print(f"requests: video_api / responses static: {headline}  target <= {TARGET}: {verdict}")
    print(f"requests: responses static / own adapter static: {ratio(req, 'responses static', 'own adapter static')}")
    print(f"aiohttp: video_api / aioresponses static: {ratio(aio, 'video_api', 'aioresponses static')}")
    print(f"aiohttp: video_api / own connection static: {ratio(aio, 'video_api', 'own connection static')}")
    print(
        f"aiohttp: own connection static / aioresponses static: {ratio(aio, 'own connection static', 'aioresponses static')}"
    )
    print(f"versions: aiohttp {aiohttp.__version__}, requests {requests.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
