"""The container image: its size, and how long a container takes from `run` to healthy.

Two readings of "healthy", each from the moment `podman run` (or `docker run`) is called:
- answering: the first 200 from `/__mock/health` through the published port (what a
  test suite or Testcontainers waits for);
- health check: the first passing run of the image's own HEALTHCHECK (`podman
  healthcheck run`, or docker's health status), which execs Python in the container.

The image must exist (`tools/build-image`). The load average is printed with every figure.

    python bench/bench_container.py              # 10 starts
    python bench/bench_container.py --quick      # 1 start (smoke test)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from importlib import metadata

BASE = "docker.io/library/debian:bookworm-slim"
TARGET_MB = 150.0
POLL_SECONDS = 0.01
START_LIMIT = 60.0


def engine_command() -> str:
    found = os.environ.get("CONTAINER_ENGINE") or shutil.which("podman") or shutil.which("docker")
    if not found:
        raise SystemExit("bench_container: neither podman nor docker is installed")
    return found


def run(engine: str, *args: str) -> str:
    done = subprocess.run([engine, *args], capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise SystemExit(f"bench_container: {os.path.basename(engine)} {args[0]} failed: {done.stderr.strip()[-500:]}")
    return done.stdout.strip()


def size_mb(engine: str, image: str) -> float | None:
    done = subprocess.run([engine, "image", "inspect", image], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return None
    return float(json.loads(done.stdout)[0]["Size"]) / 1e6


def answering(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as reply:  # noqa: S310  # the http URL built above
            return bool(reply.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def check_passes(engine: str, container: str) -> bool:
    if os.path.basename(engine) == "podman":
        done = subprocess.run([engine, "healthcheck", "run", container], capture_output=True, check=False)
        return done.returncode == 0
    status = run(engine, "inspect", "--format", "{{.State.Health.Status}}", container)
    return status == "healthy"


def wait(started: float, ready: Callable[[], bool], what: str) -> float:
    while not ready():
        if time.perf_counter() - started > START_LIMIT:
            raise SystemExit(f"bench_container: not {what} after {START_LIMIT:g} s")
        time.sleep(POLL_SECONDS)
    return time.perf_counter() - started


def one_start(engine: str, image: str) -> tuple[float, float]:
    """Seconds from `run` to answering, and to the first passing health check."""
    started = time.perf_counter()
    container = run(engine, "run", "--detach", "--publish", "127.0.0.1::8000", image)
    try:
        port = run(engine, "port", container, "8000").splitlines()[0].rsplit(":", 1)[1]
        url = f"http://127.0.0.1:{port}/__mock/health"
        to_answer = wait(started, lambda: answering(url), "answering")
        to_check = wait(started, lambda: check_passes(engine, container), "healthy")
        return to_answer, to_check
    finally:
        subprocess.run([engine, "rm", "--force", container], capture_output=True, check=False)


def load() -> str:
    return f"load average {os.getloadavg()[0]:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", default=f"vidu-mock:{metadata.version('vidu-mock')}")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="one start (smoke test)")
    args = parser.parse_args()
    engine = engine_command()
    runs = 1 if args.quick else args.runs
    image_mb = size_mb(engine, args.image)
    if image_mb is None:
        raise SystemExit(f"bench_container: no image {args.image}; build it first: tools/build-image")
    base_mb = size_mb(engine, BASE)
    print(f"{os.path.basename(engine)}; {os.cpu_count()} CPUs; {load()}")
    verdict = "under" if image_mb < TARGET_MB else "over"
    print(f"image {args.image}: {image_mb:.1f} MB ({verdict} the {TARGET_MB:g} MB aim)")
    if base_mb is not None:
        print(
            f"  base {BASE} (with python3): {base_mb:.1f} MB; the package and its dependencies: {image_mb - base_mb:.1f} MB"
        )
    answers, checks = [], []
    for _ in range(runs):
        to_answer, to_check = one_start(engine, args.image)
        answers.append(to_answer)
        checks.append(to_check)
    for name, values in (("answering /__mock/health", answers), ("HEALTHCHECK passing", checks)):
        print(
            f"run -> {name:<25} median {statistics.median(values):.2f} s  min {min(values):.2f}  "
            f"max {max(values):.2f}  ({runs} start(s); {load()})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
