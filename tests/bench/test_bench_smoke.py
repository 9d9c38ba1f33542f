"""Each benchmark in bench/ runs on a tiny budget and prints its table, so none of them rots.

Only that they run and report is checked here, never a figure: timings on a shared CI
machine say nothing. bench/README.md has the real runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mockserver.contract import MODELS, MODES
from tests.support.podman import IMAGE, built_image, needs_podman

# Subprocesses or real servers per test: left out of the fast inner loop (-m 'not slow').
pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parents[2] / "bench"


def run_quick(script: str, *options: str) -> str:
    completed = subprocess.run(
        [sys.executable, str(BENCH / script), "--quick", *options],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


@pytest.mark.parametrize(
    "client",
    [
        "python",
        pytest.param("wrk", marks=pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")),
    ],
)
def test_http_bench_answers_every_request_and_prints_the_ratio(client: str) -> None:
    output = run_quick("bench_http.py", "--client", client)
    assert "side         median req/s CPU us/req  non-200 errors" in output
    rows = output.splitlines()[2:5]
    assert [row[:12].strip() for row in rows] == ["bare Flask", "Flask, dict", "vidu-mock"], output
    for row in rows:
        assert row[12:].split()[2:4] == ["0", "0"], output  # no non-200 answers, no socket errors
    assert "ratio vidu-mock / bare Flask (median of per-round ratios):" in output


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_http_parts_bench_answers_with_every_variant() -> None:
    output = run_quick("bench_http_parts.py")
    rows = [line.split()[0] for line in output.splitlines()[2:]]
    assert rows == ["bare", "face,", "+", "+", "+", "vidu-mock,", "vidu-mock"], output


def test_inprocess_bench_prints_both_sides_and_the_ratio() -> None:
    output = run_quick("bench_inprocess.py")
    assert [line.split()[0] for line in output.splitlines()[2:4]] == ["bare", "video_api"]
    assert "ratio video_api / bare (median of per-block ratios):" in output


def test_profile_prints_both_loops_and_their_profiles() -> None:
    output = run_quick("profile_requests.py", "--top", "5")
    assert "core (Router.handle):" in output and "face (bytes -> Connection -> core -> bytes):" in output, output
    assert output.count("tottime") == 2  # one profile table per loop


def test_fixtures_bench_prints_ready_times_and_startup_costs() -> None:
    output = run_quick("bench_fixtures.py")
    for expected in ("video_server", "pytest-httpserver", "alone: vidu_mock", "installed: all but vidu_mock"):
        assert expected in output, output
    assert "vidu_mock adds" in output and "importing pytest_plugin.plugin" in output
    assert "plugin start-up target < 100 ms: " in output
    # A fact, not a timing: loading the plugin imports nothing but its own two modules.
    assert "modules vidu_mock adds among all installed plugins: pytest_plugin, pytest_plugin.plugin\n" in output
    for reading in ("setup", "answered"):
        assert f"ratio video_server / pytest-httpserver, {reading}:" in output, output


def test_memory_bench_stores_every_task_in_slots() -> None:
    output = run_quick("bench_memory.py")
    assert "stored: 2,000 tasks; Task uses slots: True" in output
    assert "100,000 tasks in" in output


def test_strategies_bench_prints_all_three_rows() -> None:
    output = run_quick("bench_strategies.py")
    rows = {line[:42].strip(): line[42:].split() for line in output.splitlines()[2:5]}
    assert list(rows) == [
        "create_requests()",
        'from_schema(load_schema("request"))',
        "create_requests() + every_model_and_mode",
    ]
    assert rows["create_requests()"][1] == "100.0%"
    # Explicit examples, not chance: the decorated run holds every model and mode.
    assert rows["create_requests() + every_model_and_mode"][1:] == [
        "100.0%",
        *f"{len(MODELS)} of {len(MODELS)} {len(MODES)} of {len(MODES)}".split(),
    ]
    assert "create_requests() generates" in output


@pytest.mark.slow
def test_scenarios_bench_prints_each_side_and_the_verdict() -> None:
    output = run_quick("bench_scenarios.py")
    assert [line.split()[0] for line in output.splitlines()[2:5]] == ["scenarios", "all", "bare"], output
    assert "requests per scenario (scenarios side): mean" in output
    assert "scenarios/s (median):" in output and "target >= 200" in output


@pytest.mark.skipif(
    shutil.which("wrk") is None or shutil.which("redis-server") is None, reason="wrk or redis-server is not installed"
)
def test_redis_bench_answers_every_request_and_prints_the_ratios() -> None:
    output = run_quick("bench_redis.py")
    lines = output.splitlines()
    for table, workload in ((0, "Create"), (9, "Poll")):  # a title, a header, three rows, three ratios, the CPU
        assert lines[table].startswith(f"{workload} throughput") and "load average" in lines[table], output
        rows = lines[table + 2 : table + 5]
        assert [row.split()[0] for row in rows] == ["memory", "redis", "mem+PING"], output
        for row in rows:
            assert row.split()[5:7] == ["0", "0"], output  # no non-200 answers, no socket errors
        # redis-server works for the two sides that talk to it (its idle timer may add a tick to memory's)
        memory_side, redis_side, ping_side = (float(row.split()[4]) for row in rows)
        assert redis_side > memory_side and ping_side > memory_side, output
        assert lines[table + 5].startswith("ratio redis / memory (median of per-round ratios):"), output
        assert lines[table + 6].startswith("ratio mem+PING / memory (the best one round trip allows)"), output
        assert lines[table + 7].startswith("ratio redis / mem+PING"), output
        assert lines[table + 8].startswith("CPU per request (gunicorn workers plus redis-server)"), output


def _wiremock_ready() -> bool:
    sys.path.insert(0, str(BENCH))
    try:
        from bench_keepalive import find_wiremock_jar
    finally:
        sys.path.remove(str(BENCH))
    return None not in (find_wiremock_jar(), shutil.which("java"), shutil.which("wrk"))


@pytest.mark.slow
@pytest.mark.skipif(not _wiremock_ready(), reason="needs java, wrk and an npm-installed wiremock (see bench/README.md)")
def test_keepalive_bench_compares_mockserver_with_wiremock() -> None:
    output = run_quick("bench_keepalive.py")
    rows = output.splitlines()[2:4]
    assert [row.split()[0] for row in rows] == ["WireMock", "vidu-mock"], output
    for row in rows:
        assert row[10:].split()[1:3] == ["0", "0"], output  # no non-200 answers, no socket errors
    assert "ratio vidu-mock / WireMock (median of per-round ratios):" in output


@pytest.mark.slow
@pytest.mark.skipif(
    not _wiremock_ready() or shutil.which("taskset") is None or shutil.which("ss") is None or (os.cpu_count() or 1) < 2,
    reason="needs java, wrk, an npm-installed wiremock, taskset, ss and 2 CPUs",
)
def test_placement_probe_prints_each_placement() -> None:
    output = run_quick("probe_placement.py")
    rows = output.splitlines()[2:5]
    assert [row[:10].strip() for row in rows] == ["same core", "two cores", "unpinned"], output
    for row in rows:
        wiremock_p50, mock_p50 = (float(cell) for cell in row[10:].split()[:2])
        assert wiremock_p50 > 0 and mock_p50 > 0, output


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("wrk") is None or shutil.which("ss") is None, reason="needs wrk and ss")
def test_idle_spin_probe_prints_both_sides() -> None:
    output = run_quick("probe_idle_spin.py")
    rows = output.splitlines()[3:5]
    assert [row[:14].strip() for row in rows] == ["no spin", "spin 100 us"], output
    for row in rows:
        fast_p50, fast_cpu, _, paced_p50, paced_cpu = (float(cell) for cell in row[14:].split()[:5])
        assert min(fast_p50, fast_cpu, paced_p50, paced_cpu) > 0, output


def test_sdk_poll_bench_prints_a_time_per_call_for_both_fixtures() -> None:
    output = run_quick("bench_sdk_poll.py")
    assert "openai-poll-after-ms: 1" in output
    assert output.count("ms/call") == 2 and "load average" in output


def test_client_bridges_bench_prints_each_client_and_the_headline() -> None:
    output = run_quick("bench_client_bridges.py")
    assert "load average" in output
    assert "requests: video_api / responses static:" in output
    assert "aiohttp   video_api" in output


@needs_podman
def test_bench_container_reports_the_size_and_both_start_times() -> None:
    built_image()
    out = run_quick("bench_container.py")
    assert f"image {IMAGE}: " in out and " MB (" in out, out
    assert "answering /__mock/health" in out and "HEALTHCHECK passing" in out and "load average" in out, out
