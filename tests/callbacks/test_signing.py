"""Vidu's callback signature, reproduced from its page's worked example (docs/callbacks.md)."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from mockserver.contract.callbacks.signing import (
    http_date,
    new_nonce,
    sign,
    signature_headers,
    signing_string,
    verify,
)

EXAMPLE_URL = "http://127.0.0.1:8080/vidu/callback?name=james&age=36"
EXAMPLE_DATE = "Tue, 06 May 2025 12:09:42 GMT"
EXAMPLE_NONCE = "123e4567-e89b-12d3-a456-426614174000"
EXAMPLE_HEADERS = {
    "Date": EXAMPLE_DATE,
    "x-request-nonce": EXAMPLE_NONCE,
    "X-HMAC-SIGNED-HEADERS": "Date;x-request-nonce",
}
# The page's signing string for its example, character for character (it ends with a newline).
EXAMPLE_STRING = (
    "POST\n/vidu/callback\nname=james&age=36\nvidu\nTue, 06 May 2025 12:09:42 GMT\n"
    "Date:Tue, 06 May 2025 12:09:42 GMT\nx-request-nonce:123e4567-e89b-12d3-a456-426614174000\n"
)
# base64(HMAC-SHA256("vda_example_token", EXAMPLE_STRING)), computed apart with
# `printf '<EXAMPLE_STRING>' | openssl dgst -sha256 -hmac vda_example_token -binary | base64`.
EXAMPLE_SIGNATURE = "INnatQoGaiFwPNg+DFnhTgTgGD7k+cwq4RegrQ3hRzI="


def test_the_pages_worked_example_gives_its_signing_string() -> None:
    assert signing_string("post", EXAMPLE_URL, EXAMPLE_HEADERS) == EXAMPLE_STRING


def test_the_worked_example_signs_to_the_openssl_vector() -> None:
    assert sign("vda_example_token", EXAMPLE_STRING) == EXAMPLE_SIGNATURE
    by_hand = base64.b64encode(hmac.new(b"vda_example_token", EXAMPLE_STRING.encode(), hashlib.sha256).digest())
    assert by_hand.decode() == EXAMPLE_SIGNATURE


def test_the_headers_sent_sign_the_example_and_never_carry_the_token() -> None:
    headers = signature_headers("vda_example_token", EXAMPLE_URL, EXAMPLE_DATE, EXAMPLE_NONCE)
    assert headers["X-HMAC-SIGNATURE"] == EXAMPLE_SIGNATURE
    assert headers["X-HMAC-ALGORITHM"] == "hmac-sha256"
    assert headers["X-HMAC-ACCESS-KEY"] == "vidu"
    assert headers["X-HMAC-SIGNED-HEADERS"] == "Date;x-request-nonce"
    assert not any("vda_example_token" in value for value in headers.values())
    assert verify("vda_example_token", EXAMPLE_URL, headers)


@pytest.mark.parametrize(
    ("url", "path", "query"),
    [("http://127.0.0.1:9", "/", ""), ("http://h/cb", "/cb", ""), ("https://h/a/b?x=1&y=%20", "/a/b", "x=1&y=%20")],
)
def test_an_empty_path_is_a_slash_and_no_query_is_empty(url: str, path: str, query: str) -> None:
    lines = signing_string("POST", url, EXAMPLE_HEADERS).split("\n")
    assert lines[1:3] == [path, query]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h: h.update({"X-HMAC-SIGNATURE": sign("another-token", "x")}),
        lambda h: h.update({"Date": "Wed, 07 May 2025 12:09:42 GMT"}),
        lambda h: h.update({"x-request-nonce": "replayed"}),
        lambda h: h.pop("X-HMAC-SIGNATURE"),
        lambda h: h.pop("x-request-nonce"),
        lambda h: h.update({"X-HMAC-ALGORITHM": "hmac-md5"}),
    ],
    ids=["other key", "other date", "other nonce", "no signature", "signed header missing", "other algorithm"],
)
def test_verify_refuses_a_tampered_header_set(tamper: object) -> None:
    headers = signature_headers("tok", EXAMPLE_URL, EXAMPLE_DATE, EXAMPLE_NONCE)
    tamper(headers)  # type: ignore[operator]
    assert not verify("tok", EXAMPLE_URL, headers)


def test_verify_refuses_another_url_and_another_token() -> None:
    headers = signature_headers("tok", EXAMPLE_URL, EXAMPLE_DATE, EXAMPLE_NONCE)
    assert not verify("tok", "http://127.0.0.1:8080/vidu/callback?name=james&age=37", headers)
    assert not verify("tok2", EXAMPLE_URL, headers)


def test_header_names_are_matched_without_regard_to_case() -> None:
    headers = {k.lower(): v for k, v in signature_headers("tok", EXAMPLE_URL, EXAMPLE_DATE, EXAMPLE_NONCE).items()}
    assert verify("tok", EXAMPLE_URL, headers)


def test_date_is_gmt_and_nonces_are_fresh() -> None:
    assert http_date(1746533382) == EXAMPLE_DATE
    nonces = {new_nonce() for _ in range(50)}
    assert len(nonces) == 50
    assert all(len(n) == 36 and n[14] == "4" for n in nonces)
