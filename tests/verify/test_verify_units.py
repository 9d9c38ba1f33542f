"""The verifier's parts: its sample of bodies, its polite client, its options and its exit-2 paths."""

from __future__ import annotations

import io
import socket
from pathlib import Path

import httpx
import pytest

from mockserver.contract import ApiError, parse_json_body, validate_create
from mockserver.verify.cli import main as verify_main
from mockserver.verify.client import BudgetExhausted, PoliteClient, retry_delay
from mockserver.verify.samples import INVALID_BODIES, PAGE_EXAMPLES, create_examples
from pytest_plugin.invalid_bodies import RULES
from tests.support.page_examples import page_curl_bodies
from tests.support.verify_fakes import KEY, fake_gateway, run_verify


def test_the_sample_covers_every_rule_the_strategies_know() -> None:
    gateway_rules = {rule for rule in RULES if "strict mode" not in rule}
    assert {bad.rule for bad in INVALID_BODIES} >= gateway_rules


@pytest.mark.parametrize("bad", INVALID_BODIES, ids=[b.rule for b in INVALID_BODIES])
def test_the_mock_core_refuses_each_sample_body_as_the_sample_says(bad: object) -> None:
    from mockserver.verify.samples import BadBody

    assert isinstance(bad, BadBody)
    with pytest.raises(ApiError) as refused:
        body = parse_json_body(bad.raw) if bad.raw is not None else bad.body
        validate_create(body)
    assert (refused.value.code, refused.value.param) == (bad.code, bad.param)


def test_page_examples_are_the_pages() -> None:
    assert [e.body for e in PAGE_EXAMPLES] == page_curl_bodies()  # the page's own text, not a copy
    assert [validate_create(e.body).mode for e in PAGE_EXAMPLES] == [e.mode for e in PAGE_EXAMPLES]


def test_creates_start_with_text_to_video_and_skip_offpeak_unless_asked() -> None:
    chosen = create_examples(5)
    assert [e.mode for e in chosen][:4] == [e.mode for e in PAGE_EXAMPLES] and chosen[0].mode == "text-to-video"
    assert not any(e.body["model"].endswith("-offpeak") for e in chosen)
    assert create_examples(3, offpeak=True)[2].body["model"] == "viduq3p-1080p-offpeak"
    assert create_examples(0) == []
    for example in chosen:
        validate_create(example.body)


def test_retry_delay_prefers_retry_after_ms_then_retry_after_then_backoff() -> None:
    assert retry_delay(httpx.Headers({"retry-after-ms": "250", "retry-after": "9"}), 0) == 0.25
    assert retry_delay(httpx.Headers({"retry-after": "2"}), 0) == 2.0
    assert retry_delay(httpx.Headers({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}), 1) == 2.0
    assert retry_delay(httpx.Headers({"retry-after": "86400"}), 0) == 60.0
    assert retry_delay(httpx.Headers(), 2) == 4.0


class _FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_rate_cap_spaces_requests_and_the_request_cap_stops_them() -> None:
    time = _FakeTime()
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    client = PoliteClient(
        "http://gw.test",
        KEY,
        rps=4,
        max_requests=3,
        sleep=time.sleep,
        clock=time.clock,
        transport=httpx.MockTransport(answer),
    )
    with client:
        for _ in range(3):
            client.api("GET", "/x")
        with pytest.raises(BudgetExhausted):
            client.api("GET", "/x")
    assert time.slept == [0.25, 0.25] and len(seen) == 3
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in seen)


def test_the_key_goes_to_no_other_host_and_no_redirect_is_followed_with_it() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "gw.test":
            return httpx.Response(302, headers={"location": "http://elsewhere.test/steal"})
        return httpx.Response(200, content=b"\x00\x00\x00\x18ftypmp42")

    with PoliteClient("http://gw.test", KEY, rps=1000, max_requests=10, transport=httpx.MockTransport(answer)) as c:
        assert c.api("GET", "/v1/x").status == 302
        got = c.download("http://cdn.test/v.mp4", cap_bytes=4)
    assert [r.url.host for r in seen] == ["gw.test", "cdn.test"]
    assert "authorization" not in seen[1].headers
    assert got.truncated and got.head[4:8] == b"ftyp"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def _run(argv: list[str], environ: dict[str, str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = verify_main(argv, environ=environ, stdout=out, stderr=err, sleep=lambda s: None)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--base-url", "ftp://gw.test"], "--base-url must be an http(s) URL"),
        (["--base-url", "http://user:pw@gw.test"], "must not hold credentials"),
        (["--base-url", "http://gw.test", "--rps", "0"], "--rps must be positive"),
        (["--base-url", "http://gw.test", "--creates", "-1"], "--creates must be 0 or more"),
        (["--base-url", "http://gw.test", "--key-env", "A-B"], "--key-env must name an environment variable"),
        (["--base-url", "http://gw.test", "--key-env", "MY_KEY"], "no API key: set $MY_KEY"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(argv: list[str], message: str) -> None:
    code, out, err = _run(argv, {"VIDU_API_KEY": KEY})
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_argparse_errors_exit_2_too() -> None:
    with pytest.raises(SystemExit) as stopped:
        _run(["--base-url", "http://gw.test", "--dialect", "klingon"], {})
    assert stopped.value.code == 2


def test_an_unreachable_gateway_is_one_line_and_exit_2() -> None:
    code, out, err = _run(["--base-url", f"http://127.0.0.1:{_free_port()}"], {"VIDU_API_KEY": KEY})
    assert code == 2 and out == ""
    lines = [line for line in err.splitlines() if line.startswith("mockserver verify:")]
    assert lines and "cannot reach http://127.0.0.1:" in lines[0] and "Traceback" not in err


def test_a_refused_key_is_exit_2_not_drift(tmp_path: Path) -> None:
    with fake_gateway() as fake:
        run = run_verify(fake.url, tmp_path, key="sk-not-this-one")
    assert run.code == 2
    assert "every request with the key in $VIDU_API_KEY was refused as unauthorised (401)" in run.stderr
    assert fake.count(lambda e: e.is_create and e.status == 200) == 0
    assert "sk-not-this-one" not in run.everything()


def test_key_env_names_the_variable(tmp_path: Path) -> None:
    with fake_gateway() as fake:
        run = run_verify(fake.url, tmp_path, "--key-env", "GATEWAY_KEY", "--creates", "0", env_name="GATEWAY_KEY")
    assert run.code == 0, run.stdout + run.stderr


def test_the_dry_run_prints_the_most_jobs_the_plan_can_cause() -> None:
    from mockserver.verify.options import VerifyOptions
    from mockserver.verify.plan import render_plan
    from mockserver.verify.probes import free_probes

    risky = sum(1 for p in free_probes() if p.cost == "risky")
    none = render_plan(VerifyOptions(base_url="http://gw.test", creates=0))
    assert "jobs: at most 0 (--creates 0 caps every job the run can cause)" in none
    assert none.count("[risky, not sent] bad body: ") == risky and "[paid]" not in none
    assert f"the {risky} risky checks are not sent (each needs --creates 1 or more)" in none
    two = render_plan(VerifyOptions(base_url="http://gw.test", creates=2, record=Path("rec")))
    assert "jobs: at most 2" in two and two.count("[risky] bad body: ") == risky
    assert "after 3 unanswered requests in a row the run stops" in two and "record: every exchange to rec/" in two
