"""Scenarios played per second in a `@given` test with `video_api`, beside two floors.

Each side is one Hypothesis test run (`@given`, generate phase only, no database) whose
body is what a scenario test does: a careful client creates a job, polls it to its end and
downloads the video, retrying errors and faults. The sides differ in what answers it:

- **scenarios**: `scenarios(errors=<the 5 retryable>)` drawn, `video_api.play(scenario)` (the
  headline; target >= 200 scenarios/s);
- **all ok**: the same loop with the normal scenario played every time;
- **bare respx**: plain respx routes with fixed answers and no play: the floor that
  Hypothesis, httpx and respx cost together.

Rounds alternate the sides (ABBA); each figure is the median over rounds.

    python bench/bench_scenarios.py            # 6 rounds x 300 examples per side
    python bench/bench_scenarios.py --quick    # 2 rounds x 20 (smoke test)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx
import respx
from fixed_job import FIXED_JOB
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from pytest_plugin import VideoAPI
from pytest_plugin.strategies import Scenario, scenarios

TARGET = 200.0
BASE_URL = "https://api.vidu.test"
CREATE = "/v1/video/generations"
RETRYABLE = {429, 500, 502, 503, 504}
BODY = {"model": "viduq3p-720p", "prompt": "a red fox in fresh snow"}


def call(client: httpx.Client, method: str, path: str, body: object = None) -> httpx.Response:
    """One request, retried on retryable statuses, faults and unreadable JSON (at most 4 tries)."""
    for _ in range(4):
        try:
            response = client.request(method, path, json=body)
            if response.status_code not in RETRYABLE:
                if path.endswith("/content"):
                    return response
                response.json()
                return response
        except (httpx.TransportError, ValueError):
            pass
    raise SystemExit(f"{method} {path}: no answer in 4 tries")


def generate(client: httpx.Client) -> str:
    """Create, poll to the end (at most 6 polls), download when completed; the last status."""
    job = call(client, "POST", CREATE, BODY).json()
    for _ in range(6):
        job = call(client, "GET", f"{CREATE}/{job['id']}").json()
        if job["status"] == "completed":
            call(client, "GET", f"{CREATE}/{job['id']}/content")
            break
        if job["status"] == "failed":
            break
    return str(job["status"])


def bare_router() -> respx.MockRouter:
    """Fixed answers: create and poll return the same completed job; the download a few bytes."""
    router = respx.MockRouter(assert_all_called=False, using="httpcore")
    done = FIXED_JOB.replace(b'"queued"', b'"completed"')
    headers = {"Content-Type": "application/json"}
    router.post(BASE_URL + CREATE).respond(200, content=done, headers=headers)
    router.get(url__regex=rf"^{BASE_URL}{CREATE}/[^/]+/content$").respond(200, content=b"\0\0\0\x18ftyp")
    router.get(url__regex=rf"^{BASE_URL}{CREATE}/[^/]+$").respond(200, content=done, headers=headers)
    return router


def run_given(
    examples: int, strategy: st.SearchStrategy[Scenario], body: Callable[[Scenario], None]
) -> tuple[float, int]:
    """Seconds for one `@given` run of `examples` examples, and how many ran."""
    ran = 0

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(scenario=strategy, salt=st.integers(0, 10**9))  # the salt keeps a one-value strategy running
    def test(scenario: Scenario, salt: int) -> None:
        nonlocal ran
        ran += 1
        body(scenario)

    began = time.perf_counter()
    test()
    return time.perf_counter() - began, ran


def main(argv: list[str] | None = None) -> int:
    """Run the sides and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2 rounds x 20 examples (smoke test)")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--examples", type=int, default=300, help="examples per side per round")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.examples = 2, 20

    api = VideoAPI()
    requests_seen: list[int] = []
    client = httpx.Client(base_url=BASE_URL, headers={"Authorization": "Bearer sk-bench"})

    def bare(scenario: Scenario) -> None:
        generate(client)

    def played(scenario: Scenario) -> None:
        with api.play(scenario):
            generate(client)
        requests_seen.append(len(api.journal))

    sides: dict[
        str,
        tuple[Callable[[], AbstractContextManager[object]], st.SearchStrategy[Scenario], Callable[[Scenario], None]],
    ] = {
        "scenarios": (lambda: api, scenarios(errors=sorted(map(str, RETRYABLE))), played),
        "all ok": (lambda: api, st.just(Scenario()), played),
        "bare respx": (bare_router, st.just(Scenario()), bare),
    }
    rates: dict[str, list[float]] = {label: [] for label in sides}
    for enter, strategy, body in sides.values():
        with enter():
            run_given(10, strategy, body)  # warm-up: imports, validators, Hypothesis' caches
    labels = list(sides)
    scenario_requests: list[int] = []
    for number in range(args.rounds):
        for label in labels if number % 2 == 0 else labels[::-1]:
            enter, strategy, body = sides[label]
            requests_seen.clear()
            with enter():
                seconds, ran = run_given(args.examples, strategy, body)
            rates[label].append(ran / seconds)
            if label == "scenarios":
                scenario_requests += requests_seen
    client.close()

    print(f"Scenarios played in a @given test: {args.rounds} round(s) x {args.examples} examples per side")
    print(f"{'side':<11} {'median/s':>9} {'min/s':>8} {'max/s':>8}")
    for label, values in rates.items():
        print(f"{label:<11} {statistics.median(values):>9.0f} {min(values):>8.0f} {max(values):>8.0f}")
    mean_requests = statistics.mean(scenario_requests) if scenario_requests else 0.0
    print(f"requests per scenario (scenarios side): mean {mean_requests:.1f}")
    headline = statistics.median(rates["scenarios"])
    ratios = [s / b for s, b in zip(rates["scenarios"], rates["bare respx"], strict=True)]
    print(f"ratio scenarios / bare respx (median of per-round ratios): {statistics.median(ratios):.2f}")
    verdict = "meets" if headline >= TARGET else "MISSES"
    print(f"scenarios/s (median): {headline:.0f}  target >= {TARGET:.0f}: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
