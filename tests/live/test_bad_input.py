"""A corpus of bad (and oddly valid) input over real loopback HTTP, sent byte for byte.

Each case states the answer docs/robustness.md documents. Every answer must come in the
§3 shape (or be a job, for valid input) within the client timeout, and after every case
the server must still create a task. Raw sockets are used because requests and httpx
refuse to send most of these. The same corpus then runs against gunicorn, where its own
HTTP parser answers some cases first.
"""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from mockserver.live import LiveServer
from tests.support.contract_checks import assert_conforms
from tests.support.live_servers import CREATE, live_server

TIMEOUT = 5.0  # seconds: the bound on every answer; a hung server fails the case
VALID = b'{"model": "viduq3p-720p", "prompt": "a fox in the snow"}'
TASK = CREATE + "/task_"


def request(
    method: str | bytes,
    target: str | bytes,
    body: bytes | None = b"",
    headers: Mapping[str, str | bytes | None] | None = None,
    *,
    version: bytes = b"HTTP/1.1",
) -> bytes:
    """A raw HTTP/1.1 request; `headers` add to or (with None) remove the defaults."""
    merged: dict[str, str | bytes | None] = {
        "Host": "127.0.0.1",
        "Authorization": "Bearer sk-bad-input",
        "Content-Type": "application/json",
        "Connection": "close",
    }
    if body is not None:
        merged["Content-Length"] = str(len(body))
    merged.update(headers or {})
    raw_method = method.encode("latin-1") if isinstance(method, str) else method
    raw_target = target.encode("utf-8") if isinstance(target, str) else target
    lines = [raw_method + b" " + raw_target + b" " + version]
    for name, value in merged.items():
        if value is not None:
            lines.append(
                name.encode("latin-1") + b": " + (value.encode("latin-1") if isinstance(value, str) else value)
            )
    return b"\r\n".join(lines) + b"\r\n\r\n" + (body or b"")


def post(body: bytes | None, **headers: str | bytes | None) -> bytes:
    return request("POST", CREATE, body, {k.replace("_", "-"): v for k, v in headers.items()})


def get(target: str | bytes, **headers: str | bytes | None) -> bytes:
    return request("GET", target, None, {k.replace("_", "-"): v for k, v in headers.items()})


def chunked(*parts: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts) + b"0\r\n\r\n"


def prompt(text: str) -> bytes:
    return json.dumps({"model": "viduq3p-720p", "prompt": text}, ensure_ascii=False).encode()


@dataclass(frozen=True)
class Case:
    """One input and its documented answer; `code` None means a valid request (a job)."""

    name: str
    raw: bytes
    status: int
    code: str | None = None
    half_close: bool = False  # send FIN after the request (the client has nothing more to say)


DEEP = 100_000
BIG = 20 * 1024 * 1024
CASES = [
    # -- JSON that is not JSON: 400 invalid_json --------------------------------------
    Case("truncated JSON", post(VALID[:30]), 400, "invalid_json"),
    Case("unquoted keys", post(b'{model: "viduq3p-720p", prompt: "x"}'), 400, "invalid_json"),
    Case("trailing comma", post(VALID[:-1] + b",}"), 400, "invalid_json"),
    Case("single quotes", post(b"{'model': 'viduq3p-720p', 'prompt': 'x'}"), 400, "invalid_json"),
    Case("trailing garbage", post(VALID + b" and more"), 400, "invalid_json"),
    Case("two documents", post(VALID + VALID), 400, "invalid_json"),
    Case("empty body", post(b""), 400, "invalid_json"),
    Case("whitespace body", post(b" \r\n\t "), 400, "invalid_json"),
    Case("100,000 open brackets", post(b"[" * DEEP), 400, "invalid_json"),
    Case("100,000 nested arrays", post(b"[" * DEEP + b"]" * DEEP), 400, "invalid_json"),
    Case("100,000 nested objects", post(b'{"a":' * DEEP + b"1" + b"}" * DEEP), 400, "invalid_json"),
    Case("invalid UTF-8", post(b'{"model": "viduq3p-720p", "prompt": "\xff\xfe\xc3"}'), 400, "invalid_json"),
    Case("UTF-16 body", post(VALID.decode().encode("utf-16")), 400, "invalid_json"),
    Case("raw NUL inside a string", post(b'{"model": "viduq3p-720p", "prompt": "a\x00b"}'), 400, "invalid_json"),
    Case("NUL byte before the body", post(b"\x00" + VALID), 400, "invalid_json"),
    Case("5000-digit integer", post(VALID[:-1] + b', "duration": ' + b"9" * 5000 + b"}"), 400, "invalid_json"),
    Case("NaN", post(VALID[:-1] + b', "duration": NaN}'), 400, "invalid_json"),
    Case("Infinity", post(VALID[:-1] + b', "duration": Infinity}'), 400, "invalid_json"),
    Case("-Infinity", post(VALID[:-1] + b', "duration": -Infinity}'), 400, "invalid_json"),
    Case("duplicate keys", post(b'{"model": "x", "model": "viduq3p-720p", "prompt": "p"}'), 400, "invalid_json"),
    # -- JSON, but not a valid request: 400 with the field named ------------------------
    Case("duration 1e400 (inf)", post(VALID[:-1] + b', "duration": 1e400}'), 400, "invalid_value"),
    Case("duration 1e-400 (0.0)", post(VALID[:-1] + b', "duration": 1e-400}'), 400, "invalid_value"),
    Case("duration 10**20", post(VALID[:-1] + b', "duration": 100000000000000000000}'), 400, "invalid_value"),
    Case("a JSON array", post(b"[]"), 400, "invalid_value"),
    Case("a JSON string", post(b'"make me a video"'), 400, "invalid_value"),
    Case("JSON null", post(b"null"), 400, "invalid_value"),
    Case("1 MB prompt", post(prompt("x" * 1_000_000)), 400, "invalid_value"),
    Case("2001 emoji prompt", post(prompt("\U0001f98a" * 2001)), 400, "invalid_value"),
    Case("blank in Unicode spaces", post(prompt("\u3000\u2003\u00a0")), 400, "invalid_value"),
    Case(
        "model with an escaped NUL",
        post(b'{"model": "viduq3p-720p\\u0000", "prompt": "x"}'),
        400,
        "model_not_supported",
    ),
    Case("file:// image", post(b'{"model": "viduq3p-720p", "image": "file:///etc/passwd"}'), 400, "invalid_value"),
    # -- Content types: 415 unless it is JSON ---------------------------------------------
    Case("no Content-Type", post(VALID, Content_Type=None), 415, "unsupported_media_type"),
    Case("text/plain", post(VALID, Content_Type="text/plain"), 415, "unsupported_media_type"),
    Case(
        "a form",
        post(b"model=viduq3p-720p&prompt=x", Content_Type="application/x-www-form-urlencoded"),
        415,
        "unsupported_media_type",
    ),
    Case(
        "multipart",
        post(b"--b\r\n\r\n" + VALID + b"\r\n--b--\r\n", Content_Type="multipart/form-data; boundary=b"),
        415,
        "unsupported_media_type",
    ),
    Case("application/jsonx", post(VALID, Content_Type="application/jsonx"), 415, "unsupported_media_type"),
    Case("APPLICATION/JSON; charset=UTF-8", post(VALID, Content_Type="APPLICATION/JSON; charset=UTF-8"), 200),
    Case("a +json type", post(VALID, Content_Type="application/vnd.api+json"), 200),
    # -- Size and framing -----------------------------------------------------------------
    Case("20 MB body", post(b" " * BIG), 413, "payload_too_large"),
    Case(
        "20 MB chunked body",
        post(None, Transfer_Encoding="chunked") + chunked(*[b" " * (1024 * 1024)] * 20),
        413,
        "payload_too_large",
    ),
    Case("chunked body", post(None, Transfer_Encoding="chunked") + chunked(VALID[:20], VALID[20:]), 200),
    Case("bad chunk size", post(None, Transfer_Encoding="chunked") + b"zz\r\n{}\r\n0\r\n\r\n", 400, "bad_request"),
    Case(
        "chunked body cut short",
        post(None, Transfer_Encoding="chunked") + b"100\r\n" + VALID,
        400,
        "invalid_json",
        half_close=True,
    ),
    Case("Content-Length shorter than the body", post(VALID, Content_Length="20"), 400, "invalid_json"),
    Case(
        "Content-Length longer than the body",
        post(VALID[:-1], Content_Length="1000"),
        400,
        "invalid_json",
        half_close=True,
    ),
    Case("Content-Length not a number", post(VALID, Content_Length="abc"), 400, "bad_request"),
    Case("Content-Length negative", post(VALID, Content_Length="-5"), 400, "bad_request"),
    Case(
        "Content-Length and chunked",
        post(None, Content_Length="3", Transfer_Encoding="chunked") + chunked(VALID),
        400,
        "bad_request",
    ),
    Case(
        "two different Content-Lengths",
        request("POST", CREATE, VALID, {"Content-Length": "3", "Content-length": str(len(VALID))}),
        400,
        "bad_request",
    ),
    Case("Transfer-Encoding gzip", post(None, Transfer_Encoding="gzip") + VALID, 400, "bad_request"),
    Case("Transfer-Encoding xchunked", post(None, Transfer_Encoding="xchunked") + chunked(VALID), 400, "bad_request"),
    Case("chunked, then gzip", post(None, Transfer_Encoding="chunked, gzip") + chunked(VALID), 400, "bad_request"),
    Case("gzip, then chunked", post(None, Transfer_Encoding="gzip, chunked") + chunked(VALID), 400, "bad_request"),
    Case("Expect: 100-continue", post(VALID, Expect="100-continue"), 200),
    # -- The HTTP layer: refused before the app, still JSON ------------------------------------
    Case("100 KB path", get(TASK + "a" * 100_000), 414, "uri_too_long"),
    Case("64 KB header", get(TASK + "x", X_Big="a" * 65536), 431, "header_too_large"),
    Case(
        "101 headers", request("GET", TASK + "x", None, {f"X-H{n}": "v" for n in range(101)}), 431, "header_too_large"
    ),
    Case("spaces in the request line", get(TASK + "a b c"), 400, "bad_request"),
    Case("garbage request line", b"GARBAGE\r\n\r\n", 400, "bad_request"),
    Case("HTTP/9.9", request("GET", TASK + "x", None, version=b"HTTP/9.9"), 400, "bad_request"),
    Case("HTTP/2.0", request("GET", TASK + "x", None, version=b"HTTP/2.0"), 400, "bad_request"),
    Case("HTTP/1.0 without Host", request("POST", CREATE, VALID, {"Host": None}, version=b"HTTP/1.0"), 200),
    Case("HTTP/1.1 without Host", request("POST", CREATE, VALID, {"Host": None}), 400, "bad_request"),
    Case("two Host headers", post(VALID, host="127.0.0.1"), 400, "bad_request"),
    Case("a control character in a header name", post(VALID, **{"X\x01Note": "a"}), 400, "bad_request"),
    Case("bare LF line ends", post(VALID).replace(b"\r\n", b"\n"), 400, "bad_request"),
    Case("a folded header", post(VALID, X_Note="a\r\n b"), 400, "bad_request"),
    Case("60 KB bearer token", post(VALID, Authorization="Bearer " + "t" * 60_000), 200),
    Case("Latin-1 bytes in the token", post(VALID, Authorization=b"Bearer sk-\xe9\xff"), 200),
    Case("empty bearer token", post(VALID, Authorization="Bearer "), 401, "missing_api_key"),
    Case("Basic auth", post(VALID, Authorization="Basic dXNlcjpwYXNz"), 401, "missing_api_key"),
    Case("a bad Prefer value", post(VALID, Prefer="code=999"), 400, "invalid_value"),
    Case("Prefer noise", post(VALID, Prefer=";;;,,,=, =x"), 200),
    Case("NUL in a header value", post(VALID, X_Note=b"a\x00b"), 400, "bad_request"),
    # -- Paths and task ids: a JSON 404, never a file ----------------------------------
    Case("path traversal", get(CREATE + "/../../etc/passwd"), 404, "not_found"),
    Case("encoded traversal", get(CREATE + "/%2e%2e%2f%2e%2e%2fetc%2fpasswd"), 404, "not_found"),
    Case("traversal after content", get(TASK + "x/content/../../../../etc/passwd"), 404, "not_found"),
    Case("encoded NUL in the id", get(TASK + "%00"), 404, "task_not_found"),
    Case("encoded unicode id", get(TASK + "%E7%8B%90%F0%9F%A6%8A"), 404, "task_not_found"),
    Case("raw UTF-8 in the path", get(TASK.encode() + "狐狸🦊".encode()), 400, "bad_request"),
    Case("encoded spaces in the id", get(TASK + "a%20b%20c"), 404, "task_not_found"),
    Case("10,000-character id", get(TASK + "a" * 10_000), 404, "task_not_found"),
    Case("invalid UTF-8 escapes", get(TASK + "%ff%fe"), 404, "task_not_found"),
    Case("broken escape", get(TASK + "%zz"), 404, "task_not_found"),
    Case("forged signed id", get(TASK + "A" * 43), 404, "task_not_found"),
    Case("encoded slash", get(TASK + "a%2Fb"), 404, "not_found"),
    Case("query junk", get(TASK + "x?%ff&&==&a=%00"), 404, "task_not_found"),
    Case("absolute-form target", get("http://127.0.0.1" + TASK + "x"), 404, "task_not_found"),
    Case(
        "a Host name it does not answer to",
        request("GET", TASK + "x", None, {"Host": "other.example"}),
        403,
        "host_not_allowed",
    ),
    Case("asterisk-form", request("OPTIONS", "*", None), 404, "not_found"),
    # -- Methods ---------------------------------------------------------------------
    Case("GET on the collection", get(CREATE), 405, "method_not_allowed"),
    Case("DELETE a task", request("DELETE", TASK + "x", None), 405, "method_not_allowed"),
    Case("TRACE", request("TRACE", CREATE, None), 405, "method_not_allowed"),
    Case("an invented method", request("BREW", CREATE, VALID), 400, "bad_request"),
    Case("NUL in the method", request(b"G\x00T", TASK + "x", None), 400, "bad_request"),
    Case("lower-case post", request("post", CREATE, VALID), 400, "bad_request"),
    # -- Non-ASCII and odd prompts: accepted --------------------------------------------
    Case("Chinese prompt", post(prompt("一只狐狸在雪地里奔跑")), 200),
    Case("emoji prompt", post(prompt("🦊❄️👨‍👩‍👧‍👦🇯🇵👍🏽")), 200),
    Case("right-to-left prompt", post(prompt("\u202eثعلب في الثلج\u202c")), 200),
    Case("combining marks", post(prompt("f\u0336\u0334o\u0337\u0338x" * 50)), 200),
    Case("2000 emoji prompt", post(prompt("\U0001f98a" * 2000)), 200),
    Case("escaped NUL in the prompt", post(b'{"model": "viduq3p-720p", "prompt": "a\\u0000b"}'), 200),
    Case("lone surrogate escape", post(b'{"model": "viduq3p-720p", "prompt": "\\ud800"}'), 200),
    Case("byte-order mark", post(b"\xef\xbb\xbf" + VALID), 200),
    Case("metadata-service image URL", post(b'{"model": "viduq3p-720p", "image": "http://169.254.169.254/"}'), 200),
]


def exchange(
    port: int, raw: bytes, half_close: bool = False, method: str = "GET"
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """Send `raw` on a fresh connection and read one response, all within `TIMEOUT`."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(raw)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        response = http.client.HTTPResponse(sock, method=method)
        response.begin()
        return response.status, response.headers, response.read()


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with live_server() as started:
        yield started


def assert_still_serving(port: int) -> None:
    status, _, body = exchange(port, post(VALID))
    assert status == 200, body[:200]
    assert_conforms(status, body)


def assert_documented_answer(port: int, case: Case) -> None:
    """The case gets its status and code, as JSON in the §3 shape, within `TIMEOUT`; then a create works."""
    started = time.monotonic()
    status, headers, body = exchange(port, case.raw, case.half_close)
    assert time.monotonic() - started < TIMEOUT
    assert (status, json.loads(body)["error"]["code"] if case.code else None) == (case.status, case.code), body[:300]
    assert headers["Content-Type"] == "application/json"
    assert headers["x-request-id"].startswith("req_")
    answer = assert_conforms(status, body)
    if case.code is None:
        assert answer["status"] == "queued"
    else:
        assert len(answer["error"]["message"]) < 600  # long input is never echoed back in full
    assert_still_serving(port)


def test_the_corpus_is_large_and_names_are_unique() -> None:
    assert len(CASES) >= 40
    assert len({case.name for case in CASES}) == len(CASES)
    assert set(GUNICORN_OWN) | set(GUNICORN_APP) | GUNICORN_SKIP <= {case.name for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_gets_its_documented_answer(server: LiveServer, case: Case) -> None:
    assert_documented_answer(server.port, case)


# Under gunicorn, its own stricter HTTP parser answers these before the app sees them, in
# its HTML format and with its smaller default limits (docs/robustness.md lists them).
GUNICORN_OWN = {
    "Content-Length not a number": 400,
    "Content-Length negative": 400,
    "Content-Length and chunked": 400,
    "two different Content-Lengths": 400,
    "Transfer-Encoding gzip": 400,
    "Transfer-Encoding xchunked": 501,
    "chunked, then gzip": 400,
    "100 KB path": 414,
    "10,000-character id": 414,  # over gunicorn's 4094-byte request line
    "64 KB header": 431,
    "101 headers": 431,
    "60 KB bearer token": 431,  # over gunicorn's 8190-byte header field
    "spaces in the request line": 400,
    "garbage request line": 400,
    "HTTP/9.9": 400,
    "HTTP/2.0": 400,
    "two Host headers": 400,
    "a control character in a header name": 400,
    "bare LF line ends": 400,
    "a folded header": 400,
    "NUL in a header value": 400,
    "raw UTF-8 in the path": 400,
    "NUL in the method": 400,
    "lower-case post": 400,
}
# Passed on by gunicorn's parser, and so answered by the app, where the mock's own server refuses them.
GUNICORN_APP: dict[str, tuple[int, str | None]] = {
    "bad chunk size": (400, "invalid_json"),  # the app cannot read the body
    "gzip, then chunked": (200, None),  # gunicorn de-chunks and ignores the gzip
    "HTTP/1.1 without Host": (200, None),
    "an invented method": (405, "method_not_allowed"),
}
# gunicorn answers 413 without reading the body, then closes: a client still sending sees a reset.
GUNICORN_SKIP = {"20 MB body"}
GUNICORN = Path(sys.executable).with_name("gunicorn")


@pytest.fixture(scope="module")
def gunicorn_port() -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    process = subprocess.Popen(
        [str(GUNICORN), "--bind", f"127.0.0.1:{port}", "--workers", "1", "mockserver.live.wsgi:app"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "gunicorn exited during start-up"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not start within 60 s"
                time.sleep(0.05)  # start-up polling, not a timed assertion
        yield port
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=30)
    assert b"Traceback" not in errors, errors.decode(errors="replace")[-2000:]


GUNICORN_CASES = [case for case in CASES if case.name not in GUNICORN_SKIP]


@pytest.mark.parametrize("case", GUNICORN_CASES, ids=[case.name for case in GUNICORN_CASES])
@pytest.mark.slow  # a gunicorn subprocess
def test_under_gunicorn_the_app_answers_the_same(gunicorn_port: int, case: Case) -> None:
    if case.name in GUNICORN_APP:
        status, code = GUNICORN_APP[case.name]
        assert_documented_answer(gunicorn_port, replace(case, status=status, code=code))
        return
    if case.name not in GUNICORN_OWN:
        assert_documented_answer(gunicorn_port, case)
        return
    status, _, _ = exchange(gunicorn_port, case.raw, case.half_close)
    assert status == GUNICORN_OWN[case.name]
    assert_still_serving(gunicorn_port)


def test_head_gets_the_status_without_a_body(server: LiveServer) -> None:
    status, headers, body = exchange(server.port, request("HEAD", TASK + "x", None), method="HEAD")
    assert (status, body) == (404, b"")
    assert headers["Content-Type"] == "application/json"
    assert_still_serving(server.port)


def test_an_http_0_9_request_gets_a_bare_json_error(server: LiveServer) -> None:
    # HTTP/0.9 has no status line or headers: the body is the whole answer.
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as sock:
        sock.sendall(b"GET /\r\n\r\n")
        raw = b"".join(iter(lambda: sock.recv(65536), b""))
    assert json.loads(raw)["error"]["code"] == "not_found"
    assert_conforms(404, raw)
    assert_still_serving(server.port)


def test_a_stalled_body_holds_only_its_own_connection(server: LiveServer) -> None:
    # A Content-Length the client never fulfils: the server waits for the rest (as HTTP
    # requires) on that connection only; everyone else is served meanwhile.
    with socket.create_connection(("127.0.0.1", server.port), timeout=TIMEOUT) as stalled:
        stalled.sendall(post(VALID[:-1], Content_Length="1000"))
        assert_still_serving(server.port)
        assert_still_serving(server.port)
        stalled.shutdown(socket.SHUT_WR)  # the client gives up sending: now it is answered
        response = http.client.HTTPResponse(stalled)
        response.begin()
        assert response.status == 400
        assert assert_conforms(400, response.read())["error"]["code"] == "invalid_json"


def test_odd_input_leaves_the_journal_readable(server: LiveServer) -> None:
    exchange(server.port, post(b'{"model": "viduq3p-720p", "prompt": "\\ud800 \\u0000 \xf0\x9f\xa6\x8a"}'))
    exchange(server.port, get(TASK + "%ff" + "a" * 5000))
    status, _, body = exchange(server.port, request("GET", "/__mock/journal", None))
    assert status == 200
    entries = json.loads(body)["entries"]
    assert entries[-2]["body"]["prompt"] == "\ud800 \x00 🦊"
    assert len(entries[-1]["path"]) <= 2048


def answer_text(status: int, code: str | None) -> str:
    """An answer as the tables in docs/robustness.md write it."""
    return f"{status} `{code}`" if code else "200 job"


def test_docs_robustness_lists_every_case_with_its_answer_and_why() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "robustness.md").read_text(encoding="utf-8")
    rows = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 4:
            rows[cells[0]] = cells[1:]
    for case in CASES:
        under_gunicorn = (
            f"{GUNICORN_OWN[case.name]}, its HTML"
            if case.name in GUNICORN_OWN
            else answer_text(*GUNICORN_APP[case.name])
            if case.name in GUNICORN_APP
            else "reset while sending"
            if case.name in GUNICORN_SKIP
            else "same"
        )
        assert rows.get(case.name, [])[:2] == [answer_text(case.status, case.code), under_gunicorn], case.name
        assert len(rows[case.name][2]) > 5, f"{case.name}: say why"
