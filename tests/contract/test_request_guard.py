"""`RequestGuard` in the core: which Host names a server answers to, and which admin writes are cross-site."""

from __future__ import annotations

import pytest

from mockserver.contract import ContractEngine, Incoming, ManualClock, Settings
from mockserver.contract.admin.guard import RequestGuard, cross_site_refusal, host_name
from mockserver.contract.messages import Outgoing
from mockserver.contract.routes.router import Router

BASE = "http://127.0.0.1:8000/"
JSON = {"content-type": "application/json", "host": "127.0.0.1:8000"}


def guarded(bound: str = "127.0.0.1", *allow: str) -> Router:
    return Router(
        ContractEngine(Settings(lifecycle="step"), ManualClock()), guard=RequestGuard.for_server(bound, allow)
    )


def send(router: Router, method: str, path: str, headers: dict[str, str], body: bytes = b"") -> Outgoing:
    return router.handle(Incoming(method, path, headers, body, base_url=BASE))


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("127.0.0.1:8000", "127.0.0.1"),
        ("LOCALHOST", "localhost"),
        ("localhost.:80", "localhost"),
        ("[::1]:8000", "[::1]"),
        ("[::1]", "[::1]"),
        ("Mock", "mock"),
        ("mock:", "mock"),
        ("mock:80x", None),
        ("[::1", None),
        ("[::1]x", None),
        ("", None),
        (":8000", None),
    ],
)
def test_the_name_in_a_host_header(header: str, name: str | None) -> None:
    assert host_name(header) == name


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.0.0.1:1", "localhost:8000", "LocalHost", "[::1]:9", "127.1.2.3:8000", "localhost."]
)
def test_bound_to_loopback_the_loopback_names_pass_with_any_port(host: str) -> None:
    assert RequestGuard.for_server("127.0.0.1").host_refusal({"host": host}) is None


@pytest.mark.parametrize(
    "host",
    ["evil.example", "evil.example:8000", "127.0.0.1.evil.example", "localhost.evil.example", "0.0.0.0", "10.0.0.1",
     "[::ffff:7f00:1]x", "mock", "a b", "x" * 5000],
)  # fmt: skip
def test_bound_to_loopback_other_names_are_refused_on_every_route(host: str) -> None:
    router = guarded()
    for method, path in [("GET", "/v1/video/generations/task_x"), ("GET", "/__mock/journal"), ("GET", "/__mock/")]:
        refused = send(router, method, path, {"host": host, "authorization": "Bearer sk"})
        assert refused.status == 403 and refused.json()["error"]["code"] == "host_not_allowed", (host, path)
        message = refused.json()["error"]["message"]
        assert "--allow-host" in message and len(message) < 600
        assert refused.headers["x-request-id"].startswith("req_")


def test_allow_host_adds_names_and_keeps_the_loopback_ones() -> None:
    guard = RequestGuard.for_server("127.0.0.1", ("mock", "ci-mock.internal"))
    for host in ("mock", "mock:8000", "MOCK.", "ci-mock.internal:1", "localhost:8000", "[::1]"):
        assert guard.host_refusal({"host": host}) is None, host
    assert guard.host_refusal({"host": "other"}) is not None


@pytest.mark.parametrize("bound", ["0.0.0.0", "::", "192.168.1.20", "mock.example.com"])
def test_bound_elsewhere_any_name_unless_names_are_given(bound: str) -> None:
    assert RequestGuard.for_server(bound).host_refusal({"host": "anything.example"}) is None
    listed = RequestGuard.for_server(bound, ("mock",))
    assert listed.host_refusal({"host": "mock:8000"}) is None
    assert listed.host_refusal({"host": "127.0.0.1:8000"}) is None
    assert listed.host_refusal({"host": "anything.example"}) is not None


@pytest.mark.parametrize("bound", ["127.0.0.1", "::1", "[::1]", "localhost", "127.0.0.2"])
def test_a_star_answers_to_any_name_and_no_host_header_passes(bound: str) -> None:
    assert RequestGuard.for_server(bound, ("*",)).host_refusal({"host": "anything"}) is None
    assert RequestGuard.for_server(bound).host_refusal({"host": "anything"}) is not None
    assert RequestGuard.for_server(bound).host_refusal({}) is None  # HTTP/1.0, no Host: not a browser


def test_header_names_in_any_case_are_read() -> None:
    guard = RequestGuard.for_server("127.0.0.1")
    assert guard.host_refusal({"Host": "evil.example"}) is not None
    incoming = Incoming("POST", "/__mock/reset", {"Content-Type": "text/plain"}, base_url=BASE)
    assert cross_site_refusal(incoming) is not None


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"content-type": "text/plain"},
        {"content-type": "application/x-www-form-urlencoded"},
        {"content-type": "multipart/form-data; boundary=x"},
        {"content-type": "application/jsonx"},
        {**JSON, "origin": "http://evil.example"},
        {**JSON, "origin": "http://127.0.0.1:3000"},
        {**JSON, "origin": "https://127.0.0.1:8000"},
        {**JSON, "origin": "http://localhost:8000"},
        {**JSON, "origin": "null"},
        {**JSON, "sec-fetch-site": "cross-site"},
        {**JSON, "sec-fetch-site": "same-site"},
        {**JSON, "origin": "http://127.0.0.1:8000", "sec-fetch-site": "same-site"},
        {**JSON, "origin": "http://127.0.0.1:8000", "sec-fetch-site": "cross-site"},
    ],
)
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "BREW"])
def test_admin_writes_that_a_page_on_another_origin_could_send_are_refused(
    headers: dict[str, str], method: str
) -> None:
    router = guarded()
    send(router, "POST", "/__mock/failures", JSON, b'{"error": "503"}')
    refused = send(router, method, "/__mock/reset", {"host": "127.0.0.1:8000", **headers}, b"{}")
    error = refused.json()["error"]
    assert (refused.status, error["code"]) == (403, "admin_forbidden")
    assert "Content-Type: application/json" in error["message"] or "another origin" in error["message"]
    assert len(send(router, "GET", "/__mock/failures", {"host": "127.0.0.1"}).json()["rules"]) == 1


@pytest.mark.parametrize(
    "headers",
    [
        JSON,
        {**JSON, "content-type": "Application/JSON; charset=utf-8"},
        {**JSON, "origin": "http://127.0.0.1:8000"},
        {**JSON, "origin": "http://127.0.0.1:8000", "sec-fetch-site": "same-origin"},
        {**JSON, "sec-fetch-site": "none"},
        # Behind a TLS proxy the mock sees http; the browser's own verdict decides.
        {**JSON, "origin": "https://mock.example", "sec-fetch-site": "same-origin"},
    ],
)
def test_json_writes_from_no_page_or_the_mocks_own_origin_pass(headers: dict[str, str]) -> None:
    router = guarded()
    send(router, "POST", "/__mock/failures", JSON, b'{"error": "503"}')
    assert send(router, "POST", "/__mock/reset", headers).status == 200
    assert send(router, "GET", "/__mock/failures", {"host": "127.0.0.1"}).json() == {"rules": []}


def test_an_origin_with_the_default_port_matches_a_host_without_one() -> None:
    incoming = Incoming("POST", "/__mock/reset", {**JSON, "origin": "http://mock"}, base_url="http://mock/")
    assert cross_site_refusal(incoming) is None
    incoming = Incoming("POST", "/__mock/reset", {**JSON, "origin": "http://mock:81"}, base_url="http://mock/")
    assert cross_site_refusal(incoming) is not None


def test_reads_and_the_api_are_not_subject_to_the_cross_site_check() -> None:
    router = guarded()
    headers = {"host": "127.0.0.1", "origin": "http://evil.example", "sec-fetch-site": "cross-site"}
    assert send(router, "GET", "/__mock/journal", headers).status == 200
    assert send(router, "OPTIONS", "/__mock/journal", headers).status == 405
    create = send(router, "POST", "/v1/video/generations", {**headers, **JSON, "authorization": "Bearer sk"}, b"{}")
    assert create.json()["error"]["code"] == "missing_field"  # the API's own answer, not a guard's


def test_without_a_guard_the_router_checks_neither() -> None:
    router = Router(ContractEngine(Settings(lifecycle="step"), ManualClock()))
    assert send(router, "GET", "/__mock/journal", {"host": "evil.example"}).status == 200
    assert send(router, "POST", "/__mock/reset", {"host": "evil.example", "content-type": "text/plain"}).status == 200
