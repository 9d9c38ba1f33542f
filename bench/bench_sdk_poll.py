"""The OpenAI SDK's `create_and_poll` with no `poll_interval_ms`, as a new user writes it, per fixture.

Under the fixtures each poll answer carries `openai-poll-after-ms: 1`, so `poll()` waits a
millisecond between polls instead of its default second; `--no-header` shows the cost without
it (the fixtures as they were: about a second per call).

    python bench/bench_sdk_poll.py            # 20 calls per fixture
    python bench/bench_sdk_poll.py --quick    # 2 calls per fixture (smoke test)
    python bench/bench_sdk_poll.py --no-header --calls 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import openai

from pytest_plugin import DEFAULT_SETTINGS, VideoAPI, VideoServer

USER_BASE = "https://video-gateway.example.test/vidu/v1"


@contextmanager
def in_process(poll_after_ms: int | None) -> Iterator[str]:
    with VideoAPI(DEFAULT_SETTINGS.with_updates(poll_after_ms=poll_after_ms)):
        yield USER_BASE


@contextmanager
def live(poll_after_ms: int | None) -> Iterator[str]:
    with VideoServer(DEFAULT_SETTINGS.with_updates(poll_after_ms=poll_after_ms)) as server:
        yield f"{server.url}/v1"


FACES: dict[str, Callable[[int | None], AbstractContextManager[str]]] = {"video_api": in_process, "video_server": live}


def per_call_ms(
    face: Callable[[int | None], AbstractContextManager[str]], calls: int, header: int | None
) -> list[float]:
    """Wall milliseconds of each `create_and_poll` call (the first, a warm-up, left out)."""
    times = []
    with face(header) as base, openai.OpenAI(base_url=base, api_key="sk-bench", max_retries=0) as client:
        for _ in range(calls + 1):
            started = time.perf_counter()
            video = client.videos.create_and_poll(model="viduq3p-720p", prompt="a fox", seconds="8")
            times.append((time.perf_counter() - started) * 1000)
            assert video.status == "completed"
    return times[1:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="2 calls per fixture")
    parser.add_argument("--no-header", action="store_true", help="send no openai-poll-after-ms (the SDK waits 1 s)")
    args = parser.parse_args()
    calls = 2 if args.quick else args.calls
    header = None if args.no_header else DEFAULT_SETTINGS.poll_after_ms
    warnings.simplefilter("ignore", DeprecationWarning)  # the SDK marks its video methods deprecated
    print(f"create_and_poll, no poll_interval_ms; openai-poll-after-ms: {header}; {calls} calls per fixture")
    for name, face in FACES.items():
        times = per_call_ms(face, calls, header)
        print(
            f"{name:13} median {statistics.median(times):8.1f} ms/call, max {max(times):8.1f} ms"
            f"  ({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})"
        )


if __name__ == "__main__":
    main()
