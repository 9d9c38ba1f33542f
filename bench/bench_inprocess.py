"""In-process round trip: `video_api` (the respx fake) vs a bare respx route, same httpx client.

A round trip is what a client under test does: POST a create, read the job's id, GET the
job. The bare side answers both with a static JSON body from plain respx routes; the
vidu-mock side is `VideoAPI` (what the `video_api` fixture yields) with its defaults.
Blocks of round trips alternate between the two (ABBA order), and the headline is the
median of the per-block ratios vidu-mock / bare.

    python bench/bench_inprocess.py            # 15 blocks x 300 round trips per side
    python bench/bench_inprocess.py --quick    # 2 blocks x 20 (smoke test)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx
import respx
from fixed_job import FIXED_JOB

from pytest_plugin import VideoAPI

QUIET_LOAD = 2.0  # a load average at or over this marks the figures as taken under load
TARGET = 2.0
BASE_URL = "https://api.vidu.test"
CREATE = "/v1/video/generations"


def bare_router() -> respx.MockRouter:
    """Plain respx routes answering the create and the poll with a static JSON body."""
    router = respx.MockRouter(assert_all_called=False, using="httpcore")
    headers = {"Content-Type": "application/json"}
    router.post(BASE_URL + CREATE).respond(200, content=FIXED_JOB, headers=headers)
    router.get(url__regex=rf"^{BASE_URL}{CREATE}/[^/]+$").respond(200, content=FIXED_JOB, headers=headers)
    return router


def round_trips(client: httpx.Client, count: int, start: int) -> float:
    """Seconds for `count` create-then-poll round trips (each prompt unique)."""
    began = time.perf_counter()
    for number in range(start, start + count):
        body = {"model": "viduq3p-720p", "prompt": f"a red fox in fresh snow, take {number}", "duration": 5}
        created = client.post(CREATE, json=body)
        task_id = created.json()["id"]
        polled = client.get(f"{CREATE}/{task_id}")
        if created.status_code != 200 or polled.status_code != 200 or polled.json()["id"] != task_id:
            raise SystemExit(f"round trip {number} failed: {created.status_code} {polled.status_code}")
    return time.perf_counter() - began


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2 blocks x 20 round trips (smoke test)")
    parser.add_argument("--blocks", type=int, default=15)
    parser.add_argument("--trips", type=int, default=300, help="round trips per block")
    args = parser.parse_args(argv)
    if args.quick:
        args.blocks, args.trips = 2, 20

    load_before = os.getloadavg()[0]
    api = VideoAPI()
    sides: dict[str, Callable[[], AbstractContextManager[object]]] = {
        "bare respx": bare_router,
        "video_api": lambda: api,
    }
    timings: dict[str, list[float]] = {label: [] for label in sides}
    with httpx.Client(base_url=BASE_URL, headers={"Authorization": "Bearer sk-bench"}) as client:
        for enter in sides.values():
            with enter():
                round_trips(client, 50, 0)  # warm-up: validators compiled, caches filled
        labels = list(sides)
        for number in range(args.blocks):
            for label in labels if number % 2 == 0 else labels[::-1]:
                with sides[label]():
                    seconds = round_trips(client, args.trips, 1000 + number * args.trips)
                timings[label].append(seconds / args.trips * 1e6)

    bare, fake = timings["bare respx"], timings["video_api"]
    ratios = [f / b for b, f in zip(bare, fake, strict=True)]
    ratio = statistics.median(ratios)
    load_after = os.getloadavg()[0]
    print(
        f"In-process create+poll round trip, one httpx.Client: {args.blocks} block(s) x {args.trips} round trips per side;"
        f" {os.cpu_count()} CPUs, load average {load_before:.2f} before, {load_after:.2f} after"
    )
    print(f"{'side':<11} {'median us':>9} {'min us':>8}")
    for label, values in timings.items():
        print(f"{label:<11} {statistics.median(values):>9.0f} {min(values):>8.0f}")
    verdict = "meets" if ratio <= TARGET else "MISSES"
    if max(load_before, load_after) >= QUIET_LOAD:
        verdict += " (taken under load: does not count as a target met)"
    print(f"ratio video_api / bare (median of per-block ratios): {ratio:.2f}  target <= {TARGET}: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
