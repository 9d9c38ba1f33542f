"""The verify tests' fake gateways let a client hang up without a traceback (a passing run prints none)."""

from __future__ import annotations

import pytest

from tests.support.verify_fakes import _QuietServer


@pytest.mark.parametrize("error", [BrokenPipeError(32, "Broken pipe"), ConnectionResetError(104, "reset")])
def test_a_client_hanging_up_prints_nothing(capsys: pytest.CaptureFixture[str], error: OSError) -> None:
    server = _QuietServer(("127.0.0.1", 0), object)  # type: ignore[arg-type]  # no request is served
    try:
        try:
            raise error
        except OSError:
            server.handle_error(None, ("127.0.0.1", 1))
    finally:
        server.server_close()
    assert capsys.readouterr().err == ""


def test_any_other_error_is_still_printed(capsys: pytest.CaptureFixture[str]) -> None:
    server = _QuietServer(("127.0.0.1", 0), object)  # type: ignore[arg-type]
    try:
        try:
            raise ValueError("a fake's own bug")
        except ValueError:
            server.handle_error(None, ("127.0.0.1", 1))
    finally:
        server.server_close()
    err = capsys.readouterr().err
    assert "Traceback" in err and "a fake's own bug" in err
