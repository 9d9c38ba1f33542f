"""The one loopback predicate and the one redaction module, each used by every face that needs it."""

from __future__ import annotations

import pytest

from mockserver.cli import banner
from mockserver.contract import ContractEngine, Incoming, Settings
from mockserver.contract.admin.guard import RequestGuard
from mockserver.contract.loopback import is_loopback
from mockserver.contract.redaction import REDACTED, Redactor, redact_headers, redacted_url
from mockserver.contract.routes.router import Router

LOOPBACK = ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "::1%lo", "::ffff:127.0.0.1", "localhost", "LOCALHOST"]
LOOPBACK += ["localhost.", "Localhost."]  # the fully qualified form of the same name (RFC 6761)
ELSEWHERE = ["0.0.0.0", "::", "192.168.1.20", "::ffff:10.0.0.1", "mock.example.com", "localhost.example.com"]
ELSEWHERE += ["foo.localhost", "localhost..", "[127.0.0.1", ""]


@pytest.mark.parametrize("host", LOOPBACK)
def test_loopback_names_and_addresses(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ELSEWHERE)
def test_other_names_and_addresses_are_not_loopback(host: str) -> None:
    assert not is_loopback(host)


@pytest.mark.parametrize("host", ["localhost.", "::ffff:127.0.0.1"])
def test_the_bind_warning_and_the_host_check_agree(host: str) -> None:
    """The command's warning and the Host check read the same rule (they disagreed on `localhost.`)."""
    assert "WARNING" not in banner("http://127.0.0.1:8000", Settings(host=host))
    guard = RequestGuard.for_server(host, ())
    assert guard.names is not None, "bound to loopback, the mock answers to loopback names only"
    assert guard.host_refusal({"Host": "localhost.:8000"}) is None
    assert guard.host_refusal({"Host": "127.0.0.1"}) is None
    assert guard.host_refusal({"Host": "rebound.example:8000"}) is not None


def test_the_admin_api_answers_a_v4_mapped_loopback_caller_and_refuses_others() -> None:
    router = Router(ContractEngine(Settings()))
    mapped = router.handle(Incoming("GET", "/__mock/journal", remote_addr="::ffff:127.0.0.1"))
    assert mapped.status == 200
    other = router.handle(Incoming("GET", "/__mock/journal", remote_addr="::ffff:10.1.2.3"))
    assert other.status == 403


def test_an_authorization_keeps_its_scheme_and_a_cookie_keeps_nothing() -> None:
    headers = {"Authorization": "Bearer sk-1", "Cookie": "session=abc; theme=dark", "Accept": "*/*"}
    assert redact_headers(headers) == {"Authorization": f"Bearer {REDACTED}", "Cookie": REDACTED, "Accept": "*/*"}
    assert Redactor().headers(headers) == redact_headers(headers)


def test_the_journal_keeps_no_cookie_part() -> None:
    router = Router(ContractEngine(Settings()))
    sent = {"Authorization": "Bearer sk-journal", "Cookie": "session=abc; theme=dark"}
    router.handle(Incoming("GET", "/v1/videos/task_x", sent))
    (entry,) = router.handle(Incoming("GET", "/__mock/journal")).json()["entries"]
    assert entry["headers"]["authorization"] == f"Bearer {REDACTED}"
    assert entry["headers"]["cookie"] == REDACTED


def test_a_known_key_is_redacted_wherever_it_appears_and_a_url_loses_its_password() -> None:
    redactor = Redactor()
    redactor.learn_from({"authorization": "Bearer sk-echoed"})
    assert redactor.text("request by key sk-echoed") == f"request by key {REDACTED}"
    assert redactor.body(b'{"key": "sk-echoed"}') == b'{"key": "' + REDACTED.encode() + b'"}'
    assert redacted_url("redis://user:pw@[::1]:6380/0") == f"redis://user:{REDACTED}@[::1]:6380/0"
    assert Settings(state="redis://:pw@h:1/0").public()["state"] == f"redis://:{REDACTED}@h:1/0"
