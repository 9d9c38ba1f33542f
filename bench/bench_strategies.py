"""Benchmark `create_requests()` against `hypothesis_jsonschema.from_schema` on the request schema.

    python bench/bench_strategies.py [--examples 200] [--runs 3] [--check] [--quick]

Both strategies run in the same harness: a seeded `@given` test with a fixed number of
examples (generation phase only, no database), timed around the whole run after a short
warm-up. Reported per strategy: examples per second, the share of bodies the request
schema accepts, and how many of the catalogue's models and modes each run's first 200
examples hold. A third row runs `create_requests()` under `@every_model_and_mode()`
(its explicit examples, then the generated ones) and reports the same coverage. `--check`
exits 1 unless `create_requests()` is at least 5x faster and 100% valid, and the third row
holds every model and mode in every run.
"""

from __future__ import annotations

import argparse
import sys
import time
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from mockserver.contract import MODELS, MODES, load_schema, schema_validator, validate_create
from pytest_plugin.strategies import catalogue_bodies, create_requests, every_model_and_mode

COVERAGE_WINDOW = 200


def _let_hypothesis_jsonschema_run() -> None:
    """Adapt hypothesis-jsonschema 0.23.1 to the installed Hypothesis, if needed.

    Its object generator drives Hypothesis' private `many` helper through `.more()` and
    `.reject()`; Hypothesis 6.1xx replaced `.more()` with iteration, so every object
    schema fails with AttributeError. This gives that one module an adapter (nothing else
    is patched) so the baseline can be measured at all.
    """
    import hypothesis_jsonschema._from_schema as hjs
    from hypothesis.internal.conjecture import utils as cu

    if hasattr(cu.many, "more"):
        return
    stop = object()

    class LegacyMany:
        def __init__(self, data: Any, **sizes: Any) -> None:
            self._many = cu.many(data, **sizes)
            self._many.__enter__()
            self._elements = iter(self._many)

        def more(self) -> bool:
            if next(self._elements, stop) is stop:
                self._many.__exit__(None)
                return False
            return True

        def reject(self, why: str | None = None) -> None:
            self._many.reject(why)

    hjs.cu = types.SimpleNamespace(**{**vars(cu), "many": LegacyMany})  # type: ignore[attr-defined,assignment]


@dataclass
class Result:
    """What one strategy did over all runs."""

    name: str
    examples: int = 0
    seconds: float = 0.0
    valid: int = 0
    models: list[int] = field(default_factory=list)
    modes: list[int] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Examples per second."""
        return self.examples / self.seconds


_Decorator = Callable[[Callable[..., None]], Callable[..., None]]


def _run(
    strategy: st.SearchStrategy[Any], examples: int, run_seed: int, decorator: _Decorator | None = None
) -> tuple[list[Any], float]:
    bodies: list[Any] = []

    def collect_body(body: Any) -> None:
        bodies.append(body)

    test = decorator(collect_body) if decorator is not None else collect_body
    collect = seed(run_seed)(
        settings(
            database=None,
            deadline=None,
            max_examples=examples,
            # Explicit examples (only a decorator adds any), then generation; no shrinking.
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )(given(strategy)(test))
    )

    start = time.perf_counter()
    collect()
    return bodies, time.perf_counter() - start


def measure(
    name: str, strategy: st.SearchStrategy[Any], examples: int, runs: int, decorator: _Decorator | None = None
) -> Result:
    """Time `runs` seeded runs of `examples` examples; check validity and coverage afterwards."""
    validator = schema_validator("request")
    _run(strategy, 5, -1, decorator)  # warm-up: strategy validation, schema canonicalisation, imports
    result = Result(name)
    for run_seed in range(runs):
        bodies, seconds = _run(strategy, examples, run_seed, decorator)
        result.examples += len(bodies)
        result.seconds += seconds
        valid = [body for body in bodies if validator.is_valid(body)]
        result.valid += len(valid)
        window = [body for body in bodies[:COVERAGE_WINDOW] if validator.is_valid(body)]
        result.models.append(len({body["model"] for body in window}))
        result.modes.append(len({validate_create(body).mode for body in window}))
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=COVERAGE_WINDOW, help="examples per run (default 200)")
    parser.add_argument("--runs", type=int, default=3, help="seeded runs per strategy (default 3)")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 unless >= 5x faster, 100%% valid, and the decorated run covers all"
    )
    parser.add_argument("--quick", action="store_true", help="1 run x 20 examples (the smoke test)")
    args = parser.parse_args(argv)
    if args.quick:
        args.examples, args.runs = 20, 1

    _let_hypothesis_jsonschema_run()
    from hypothesis_jsonschema import from_schema

    ours = measure("create_requests()", create_requests(), args.examples, args.runs)
    baseline = measure(
        'from_schema(load_schema("request"))', from_schema(load_schema("request")), args.examples, args.runs
    )

    covered = measure(
        "create_requests() + every_model_and_mode", create_requests(), args.examples, args.runs, every_model_and_mode()
    )

    print(
        f"{args.runs} seeded runs x {args.examples} generated examples each (the last row adds"
        f" {len(catalogue_bodies())} explicit ones); coverage counts the first {COVERAGE_WINDOW} of a run"
    )
    print(f"{'strategy':42} {'examples/s':>10} {'schema-valid':>12}  {'models per run':>20}  {'modes per run':>14}")
    for result in (ours, baseline, covered):
        models = f"{', '.join(map(str, result.models))} of {len(MODELS)}"
        modes = f"{', '.join(map(str, result.modes))} of {len(MODES)}"
        validity = 100 * result.valid / result.examples
        print(f"{result.name:42} {result.rate:10.1f} {validity:11.1f}%  {models:>20}  {modes:>14}")
    ratio = ours.rate / baseline.rate
    print(f"create_requests() generates {ratio:.1f}x as many examples per second")
    everything = set(covered.models) == {len(MODELS)} and set(covered.modes) == {len(MODES)}
    if args.check and (ratio < 5 or ours.valid != ours.examples or not everything):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
