"""`mockserver verify --record DIR`: every exchange in the shared recording format, the key in no file."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockserver.contract.data.catalogue import VIDEOS
from mockserver.recordings.folder import read_recordings
from mockserver.verify.probes import UNKNOWN_TASK
from tests.support.verify_fakes import KEY, Exchange, fake_gateway, run_verify

pytestmark = pytest.mark.slow  # a whole verification against the mock behind a proxy


def _echo_key_and_drift(exchange: Exchange) -> None:
    """Echo the caller's Authorization in refusals (body and header), and echo the wrong model on create."""
    sent = exchange.request_headers.get("authorization", "")
    if exchange.status in (400, 401):
        body = exchange.json
        body["error"]["message"] += f" (you sent {sent})"
        exchange.set_json(body)
        exchange.headers["x-seen-authorization"] = sent
    if exchange.is_create and exchange.status == 200:
        exchange.set_json({**exchange.json, "model": "viduq3t-540p"})
        exchange.headers["set-cookie"] = "session=abc123; HttpOnly"


def test_record_writes_every_exchange_redacted_with_endpoints_tasks_and_drift(tmp_path: Path) -> None:
    folder = tmp_path / "recording"
    with fake_gateway(_echo_key_and_drift) as fake:
        run = run_verify(fake.url, tmp_path, "--creates", "1", "--record", str(folder))
    assert run.code == 1, run.stdout
    recorded = read_recordings(folder)
    assert len(recorded) == len(fake.exchanges) == run.report["requests_sent"]
    assert [(e.method, e.path, e.status) for e in recorded] == [(e.method, e.path, e.status) for e in fake.exchanges]
    for file in folder.iterdir():
        assert KEY.encode() not in file.read_bytes(), file.name
        assert b"abc123" not in file.read_bytes(), "cookies are redacted"
    keyed = [e for e in recorded if e.request_headers.get("authorization") == "Bearer [redacted]"]
    assert keyed and all("[redacted]" in e.response_headers.get("x-seen-authorization", "[redacted]") for e in keyed)

    task_id = run.report["jobs"][0]["task_id"]
    by_endpoint = {name: [e for e in recorded if e.endpoint == name] for name in ("create", "poll", "content", "other")}
    [create] = [e for e in by_endpoint["create"] if e.status == 200]
    assert create.task_id == task_id and create.response_json()["task_id"] == task_id
    assert any("create #1: model echoed" in d for d in create.drift), create.drift
    assert {e.task_id for e in by_endpoint["poll"]} >= {task_id}
    [content] = by_endpoint["content"]
    assert content.task_id == task_id and content.response_body is not None
    assert content.response_body[4:8] == b"ftyp" and "without the key" in content.notes[0]
    # The remix probe is a create to the recorder's classifier: one refused, so it made no task.
    [remix] = [e for e in by_endpoint["create"] if e.path == f"{VIDEOS}/{UNKNOWN_TASK}/remix"]
    assert remix.method == "POST" and remix.status >= 400 and remix.task_id is None
    assert [e.path for e in by_endpoint["other"]] == ["/v1/vidu-mock-verify/no-such-endpoint"]
    assert not [e for e in recorded if e.drift and e is not create], "only the drifted answer carries drift"


def test_record_into_a_folder_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    with fake_gateway() as fake:
        run = run_verify(fake.url, tmp_path, "--creates", "0", "--record", str(blocker / "sub"))
    assert run.code == 2 and fake.exchanges == []
    assert run.stderr.startswith("mockserver verify: cannot record to ") and run.stderr.count("\n") == 1
