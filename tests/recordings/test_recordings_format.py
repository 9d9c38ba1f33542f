"""The recording format: round trips, stable text, redaction everywhere, refusals that name the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mockserver.contract.redaction import Redactor
from mockserver.contract.replay.format import (
    INLINE_BINARY_CAP,
    Exchange,
    RecordingFormatError,
    exchange_file_name,
    exchange_from_document,
    exchange_to_document,
)
from mockserver.recordings.folder import RecordingWriter, read_recordings

KEY = "sk-live-secret-123"


def _exchange(**changes: object) -> Exchange:
    base: dict[str, object] = {
        "seq": 0,
        "method": "post",
        "path": "/v1/video/generations",
        "status": 200,
        "request_headers": {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
        "request_body": b'{"model":"viduq3p-720p","prompt":"a fox"}',
        "response_headers": {"Content-Type": "application/json", "Date": "Thu", "Content-Length": "40"},
        "response_body": b'{"id":"task_1","status":"queued"}',
        "endpoint": "create",
        "task_id": "task_1",
        "elapsed_ms": 12,
    }
    base.update(changes)
    return Exchange(**base)  # type: ignore[arg-type]


def test_an_exchange_survives_a_round_trip_through_its_folder(tmp_path: Path) -> None:
    writer = RecordingWriter(tmp_path)
    writer.write(_exchange())
    writer.write(_exchange(method="GET", path="/v1/video/generations/task_1", endpoint="poll", request_body=b""))
    first, second = read_recordings(tmp_path)
    assert (first.seq, first.method, first.endpoint, first.task_id, first.elapsed_ms) == (
        1,
        "POST",
        "create",
        "task_1",
        12,
    )
    assert first.request_json() == {"model": "viduq3p-720p", "prompt": "a fox"}
    assert first.response_json() == {"id": "task_1", "status": "queued"}
    assert first.response_headers == {"content-type": "application/json"}  # framing headers left out
    assert (second.seq, second.endpoint, second.request_body) == (2, "poll", b"")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0001-create.json", "0002-poll.json"]


def test_the_same_exchange_is_written_as_the_same_text(tmp_path: Path) -> None:
    one, two = RecordingWriter(tmp_path / "a"), RecordingWriter(tmp_path / "b")
    assert one.write(_exchange()).read_text() == two.write(_exchange()).read_text()
    text = (tmp_path / "a" / "0001-create.json").read_text()
    assert text.endswith("}\n") and json.loads(text)["format"] == "vidu-mock-recording/1"


def test_numbering_goes_on_after_what_the_folder_holds(tmp_path: Path) -> None:
    RecordingWriter(tmp_path).write(_exchange())
    assert RecordingWriter(tmp_path).write(_exchange()).name == "0002-create.json"


def test_the_key_is_written_nowhere_even_where_the_answer_echoes_it(tmp_path: Path) -> None:
    echoed = _exchange(
        response_headers={"X-Echo": f"key={KEY}", "Set-Cookie": "session=abc", "Content-Type": "application/json"},
        response_body=json.dumps({"error": {"message": f"Invalid token {KEY}"}}).encode(),
        request_headers={"Authorization": f"Bearer {KEY}", "Cookie": "session=abc", "X-Team": "blue"},
    )
    RecordingWriter(tmp_path, Redactor(headers=["X-Team"])).write(echoed)
    text = (tmp_path / "0001-create.json").read_text()
    assert KEY not in text and "session=abc" not in text and "blue" not in text
    [back] = read_recordings(tmp_path)
    assert back.request_headers["authorization"] == "Bearer [redacted]"
    assert back.response_headers["set-cookie"] == "[redacted]"
    assert back.response_headers["x-echo"] == "key=[redacted]"
    assert back.response_json() == {"error": {"message": "Invalid token [redacted]"}}


def test_binary_bodies_stay_inline_when_small_and_go_beside_the_json_when_large(tmp_path: Path) -> None:
    small = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256))
    large = b"\x00\x00\x00\x18ftypmp42" + bytes(INLINE_BINARY_CAP)
    writer = RecordingWriter(tmp_path)
    mp4 = {"Content-Type": "video/mp4"}
    writer.write(_exchange(method="GET", endpoint="content", response_headers=mp4, response_body=small))
    writer.write(_exchange(method="GET", endpoint="content", response_headers=mp4, response_body=large))
    writer.write(
        _exchange(method="GET", endpoint="content", response_headers=mp4, response_body=None, notes=("over the cap",))
    )
    assert (tmp_path / "0002-content-response.mp4").read_bytes() == large
    inline, beside, omitted = read_recordings(tmp_path)
    assert (inline.response_body, beside.response_body) == (small, large)
    assert omitted.response_body is None and omitted.notes == ("over the cap",)


def test_a_broken_file_is_named_with_what_is_wrong(tmp_path: Path) -> None:
    RecordingWriter(tmp_path).write(_exchange())
    path = tmp_path / "0001-create.json"
    document = json.loads(path.read_text())
    document["response"]["status"] = 999
    path.write_text(json.dumps(document))
    with pytest.raises(RecordingFormatError, match=r"0001-create\.json: .*HTTP status"):
        read_recordings(tmp_path)
    path.write_text("{not json")
    with pytest.raises(RecordingFormatError, match=r"0001-create\.json"):
        read_recordings(tmp_path)
    with pytest.raises(RecordingFormatError, match="not a folder"):
        read_recordings(tmp_path / "missing")


def test_a_body_file_may_not_leave_the_folder() -> None:
    document, _ = exchange_to_document(_exchange(seq=1))
    document["response"]["body"] = {"file": "../../etc/passwd"}
    with pytest.raises(RecordingFormatError, match="folder"):
        exchange_from_document(document, lambda name: b"")


def test_file_names_keep_only_safe_endpoint_words() -> None:
    assert exchange_file_name(_exchange(seq=7, endpoint="../x")) == "0007-other.json"
    assert exchange_file_name(_exchange(seq=12, endpoint="poll")) == "0012-poll.json"
