"""A header that would split an answer: refused when a recording loads, and never written by any face."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from mockserver.contract.messages import Outgoing
from mockserver.contract.replay.format import RecordingFormatError
from mockserver.live.app import EXTENSION, create_app
from mockserver.live.loop.exchange import response_bytes
from mockserver.recordings.folder import read_recordings
from mockserver.recordings.replaying import load_replay
from pytest_plugin.client_seam import Where, framed
from pytest_plugin.httpx_bridge import to_response
from pytest_plugin.requests_bridge import to_urllib3_response

SPLIT = "ok\r\nX-Injected: yes\r\nSet-Cookie: pwned=1"
BAD_VALUES = {"CR and LF": SPLIT, "LF": "ok\nX-Injected: yes", "CR": "ok\rX", "NUL": "a\x00b"}


def recording(folder: Path, headers: dict[str, str]) -> Path:
    """One recorded create whose response carries `headers`, written as `mockserver record` writes it."""
    folder.mkdir(exist_ok=True)
    document = {
        "format": "vidu-mock-recording/1",
        "seq": 1,
        "endpoint": "create",
        "request": {"method": "POST", "path": "/v1/video/generations", "headers": {}, "body": {"json": {}}},
        "response": {"status": 200, "headers": headers, "body": {"json": {"id": "task_1", "status": "queued"}}},
    }
    path = folder / "0001-create.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


@pytest.mark.parametrize("value", BAD_VALUES.values(), ids=BAD_VALUES)
def test_a_recording_with_a_control_character_in_a_header_is_refused_naming_file_and_header(
    tmp_path: Path, value: str
) -> None:
    recording(tmp_path, {"content-type": "application/json", "x-note": value})
    with pytest.raises(RecordingFormatError, match=r"^0001-create\.json: response\.headers: header 'x-note' holds"):
        read_recordings(tmp_path)


def test_a_header_name_that_is_not_a_token_is_refused(tmp_path: Path) -> None:
    recording(tmp_path, {"x note:": "a"})
    with pytest.raises(RecordingFormatError, match=r"0001-create\.json: .*'x note:' is not an HTTP token"):
        read_recordings(tmp_path)


def test_the_recordings_the_format_allows_still_load(tmp_path: Path) -> None:
    recording(tmp_path, {"content-type": "application/json", "x-note": "tabs\tand Latin-1 \xe9 are fine"})
    [exchange] = read_recordings(tmp_path)
    assert exchange.response_headers["x-note"] == "tabs\tand Latin-1 \xe9 are fine"


@pytest.mark.slow  # a mockserver subprocess
def test_the_command_refuses_to_replay_it_with_one_line(tmp_path: Path) -> None:
    path = recording(tmp_path / "recorded", {"x-note": SPLIT})
    command = [str(Path(sys.executable).with_name("mockserver")), "--replay", str(path.parent), "--port", "0"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2 and done.stdout == ""
    [line] = done.stderr.splitlines()
    assert "0001-create.json" in line and "'x-note'" in line and "Traceback" not in line


def test_a_cassette_with_a_split_header_is_refused(tmp_path: Path) -> None:
    cassette = tmp_path / "split.yaml"
    cassette.write_text(
        "interactions:\n"
        "- request: {method: POST, uri: 'https://api.example/v1/video/generations', headers: {}, body: '{}'}\n"
        "  response:\n"
        "    status: {code: 200, message: OK}\n"
        f"    headers: {{x-note: [{json.dumps(SPLIT)}]}}\n"
        '    body: {string: \'{"id": "task_1", "status": "queued"}\'}\n'
        "version: 1\n",
        encoding="utf-8",
    )
    with pytest.raises(RecordingFormatError, match=r"split\.yaml: interaction 1 response: header 'x-note' holds"):
        load_replay(cassette)


# The second line of defence: a reply header that got past the loader is dropped on the way out.
BAD_REPLY = Outgoing(200, {"Content-Type": "application/json", "x-note": SPLIT, "bad name": "x"}, b"{}")


def test_the_event_loop_face_never_writes_an_unchecked_header() -> None:
    head = response_bytes(BAD_REPLY, head_only=True, close=False).decode("latin-1")
    assert "X-Injected" not in head and "x-note" not in head and "bad name" not in head
    assert "Content-Type: application/json\r\n" in head


def test_the_flask_face_never_writes_an_unchecked_header(monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app()
    monkeypatch.setattr(app.extensions[EXTENSION], "router", SimpleNamespace(handle=lambda incoming: BAD_REPLY))
    response = app.test_client().get("/v1/video/generations/task_x", headers={"Host": "127.0.0.1"})
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    assert "x-note" not in response.headers and "X-Injected" not in response.headers


def test_the_in_process_face_never_hands_over_an_unchecked_header() -> None:
    where = Where("https://api.example", "/v1/video/generations/task_x")
    for method in ("GET", "HEAD"):
        response = to_response(BAD_REPLY, httpx.Request(method, where.base_url + where.path), where)
        assert "x-note" not in response.headers and "bad name" not in response.headers
        assert response.headers["Content-Type"] == "application/json"
        # requests' and aiohttp's bridges frame their replies through the same `framed`.
        raw = to_urllib3_response(BAD_REPLY, method)
        assert "x-note" not in raw.headers and raw.headers["Content-Type"] == "application/json"
        names = [name for name, _ in framed(BAD_REPLY, method)[0]]
        assert "x-note" not in names and "bad name" not in names and "X-Injected" not in names
