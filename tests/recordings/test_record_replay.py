"""Record through the proxy against a fake gateway, stop it, replay the folder in both fixtures.

The live server replaying the same folder (`mockserver --replay DIR`) is in
tests/docs/test_readme_record_replay.py, which runs the README's commands.
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from mockserver.contract import ManualClock, Settings
from mockserver.contract.routes.steps import sample_video
from mockserver.live import LiveServer
from mockserver.record import DEFAULT_MAX_VIDEO_BYTES, RecordingProxy, RecordingServer, Upstream
from mockserver.recordings.folder import read_recordings
from mockserver.verify.expectations import NEW_API, UNIALL
from pytest_plugin.video_api import VideoAPI
from pytest_plugin.video_server import VideoServer
from tests.support.gateway_fake import CREATE, TASK_ID, VIDEO, FakeGateway, client_run

KEY = "sk-live-recording-key-4711"
TRACE = "trace-token-0815"


@dataclass
class Session:
    """What the client saw while recording, and what the recorder printed."""

    folder: Path
    gateway_url: str
    answers: list[tuple[int, Any]]
    video: bytes
    lines: list[str]


def _record(folder: Path, *, drifting: bool = False, max_video_bytes: int = DEFAULT_MAX_VIDEO_BYTES) -> Session:
    lines: list[str] = []
    with FakeGateway(drifting=drifting) as gateway:
        proxy = RecordingProxy(
            gateway.url, folder, redact_headers=["X-Trace-Token"], max_video_bytes=max_video_bytes, say=lines.append
        )
        with RecordingServer(proxy) as recorder:
            headers = {"Authorization": f"Bearer {KEY}", "X-Trace-Token": TRACE}
            with httpx.Client(headers=headers) as client:
                answers, video = client_run(client, recorder.url)
        url = gateway.url
    return Session(folder, url, answers, video, lines)


@pytest.fixture
def recorded(tmp_path: Path) -> Session:
    """A recording of one job against the fake gateway, which is stopped by the time a test gets it."""
    return _record(tmp_path / "recording")


def _as_replayed(session: Session, base_url: str) -> list[tuple[int, Any]]:
    """What the client saw while recording: the video URL points at the replaying server, the key is redacted."""
    text = json.dumps(session.answers).replace(session.gateway_url, base_url.rstrip("/")).replace(KEY, "[redacted]")
    return [(status, body) for status, body in json.loads(text)]


def test_recording_writes_one_file_per_exchange_with_the_video(recorded: Session) -> None:
    names = sorted(p.name for p in recorded.folder.iterdir())
    assert names == [
        "0001-create.json",
        "0002-poll.json",
        "0003-poll.json",
        "0004-content.json",  # fetched by the recorder when the poll showed the video URL
        "0005-poll.json",
        "0006-create.json",
    ]
    exchanges = read_recordings(recorded.folder)
    assert [e.task_id for e in exchanges[:5]] == [TASK_ID] * 5
    assert exchanges[3].response_body == VIDEO == recorded.video
    assert [e.status for e in exchanges] == [200, 200, 200, 200, 200, 400]
    assert any("kept once" in line for line in recorded.lines), "the client's own download was not written twice"
    assert not any(e.drift for e in exchanges) and not any("DRIFT" in line for line in recorded.lines)


def test_the_key_and_other_secrets_appear_in_no_file(recorded: Session) -> None:
    files = list(recorded.folder.iterdir())
    assert files
    for path in files:
        data = path.read_bytes()
        for secret in (KEY, TRACE, "s3cr3t"):
            assert secret.encode() not in data, f"{secret} in {path.name}"
    refused = read_recordings(recorded.folder)[-1]
    # The gateway echoed the key in its message: the recording keeps the message, key redacted.
    assert refused.response_json()["error"]["message"] == "prompt is required (request by key [redacted])"
    assert refused.request_headers["authorization"] == "Bearer [redacted]"
    assert refused.request_headers["x-trace-token"] == "[redacted]"
    assert refused.response_headers["set-cookie"] == "[redacted]"
    assert not any(KEY in line for line in recorded.lines)


def test_video_api_replays_what_the_client_saw(recorded: Session) -> None:
    with VideoAPI() as api, api.replay(recorded.folder):
        client = httpx.Client(headers={"Authorization": "Bearer sk-anything"})
        answers, video = client_run(client, "https://api.example.com")
        assert answers == _as_replayed(recorded, "https://api.example.com")
        assert answers[0][1]["id"] == TASK_ID and video == VIDEO
        # The video URL in the completed poll leads to the recorded bytes too.
        assert client.get(answers[2][1]["video_url"]).content == VIDEO
        assert [(e.endpoint, e.status, e.task_id) for e in api.journal][:6] == [
            ("create", 200, TASK_ID),
            ("poll", 200, TASK_ID),
            ("poll", 200, TASK_ID),
            ("poll", 200, TASK_ID),
            ("content", 200, TASK_ID),
            ("create", 400, None),
        ]
        api.assert_requested(2, endpoint="create", model="viduq3p-720p")
    # Out of the block, the contract answers again (a task id of the mock's own form).
    with VideoAPI() as api:
        created = httpx.post(
            "https://api.example.com/v1/video/generations", json=CREATE, headers={"Authorization": "Bearer sk-x"}
        )
        assert created.json()["id"] != TASK_ID


def test_video_server_replays_what_the_client_saw(recorded: Session) -> None:
    with VideoServer() as server, server.replay(recorded.folder):
        with httpx.Client(headers={"Authorization": "Bearer sk-anything"}) as client:
            answers, video = client_run(client, server.url)
            assert answers == _as_replayed(recorded, server.url)
            assert video == VIDEO
            assert client.get(answers[2][1]["video_url"]).content == VIDEO
            journal = client.get(f"{server.url}/__mock/journal").json()["entries"]
        endpoints = [entry["endpoint"] for entry in journal]
        assert endpoints == ["create", "poll", "poll", "poll", "content", "create", "content"]
        server.reset()  # rewinds the sequences: the first poll answers in_progress again
        polled = httpx.get(f"{server.url}/v1/video/generations/{TASK_ID}", headers={"Authorization": "Bearer k"})
        assert polled.json()["status"] == "in_progress"


def test_an_unmatched_request_gets_a_near_miss_404(recorded: Session) -> None:
    auth = {"Authorization": "Bearer sk-anything"}
    with VideoAPI() as api, api.replay(recorded.folder):
        other = httpx.post(
            "https://api.example.com/v1/video/generations", json={**CREATE, "prompt": "a cat", "seed": 7}, headers=auth
        )
        unknown = httpx.get("https://api.example.com/v1/video/generations/task_unknown", headers=auth)
        assert api.journal[0].message is not None and "0001-create.json" in api.journal[0].message
    assert other.status_code == 404 and UNIALL.auth_error.fits(other.json())
    message = other.json()["error"]["message"]
    assert message.startswith('No recorded exchange matches POST "/v1/video/generations". Closest recording: 0001')
    assert 'body.prompt is "a cat" (recorded "a fox")' in message and "body.seed is 7 (not in the recording)" in message
    assert unknown.status_code == 404
    assert (
        f'path is "/v1/video/generations/task_unknown" (recorded "/v1/video/generations/{TASK_ID}")'
        in (unknown.json()["error"]["message"])
    )


@pytest.mark.video_api(dialect="new-api")
def test_the_near_miss_takes_the_dialect_shape(recorded: Session, video_api: VideoAPI) -> None:
    with video_api.replay(recorded.folder):
        missed = httpx.post(
            "https://gw.test/v1/video/generations", json={"model": "x"}, headers={"Authorization": "B k"}
        )
    assert missed.status_code == 404
    assert NEW_API.auth_error.fits(missed.json()) or NEW_API.task_error.fits(missed.json())
    assert not UNIALL.auth_error.fits(missed.json())


def test_loose_matching_takes_a_create_on_model_and_mode(recorded: Session) -> None:
    other_prompt = {**CREATE, "prompt": "a heron at dawn", "duration": 5}
    auth = {"Authorization": "Bearer sk-anything"}
    with VideoAPI() as api:
        with api.replay(recorded.folder):
            exact = httpx.post("https://a.test/v1/video/generations", json=other_prompt, headers=auth)
        with api.replay(recorded.folder, match="loose"):
            loose = httpx.post("https://a.test/v1/video/generations", json=other_prompt, headers=auth)
            image = httpx.post(
                "https://a.test/v1/video/generations",
                json={**other_prompt, "image": "https://img.test/a.png"},
                headers=auth,
            )
    assert exact.status_code == 404
    assert (loose.status_code, loose.json()["id"]) == (200, TASK_ID)
    assert (
        image.status_code == 404 and '"image-to-video" (recorded "text-to-video")' in image.json()["error"]["message"]
    )


def test_a_drifted_answer_is_named_while_recording(tmp_path: Path) -> None:
    session = _record(tmp_path / "drifted", drifting=True)
    drift = [line for line in session.lines if "DRIFT" in line]
    assert drift == ["  DRIFT in 0002-poll.json (uniall): status: 'processing' is not one of "
                     "['queued', 'in_progress', 'completed', 'failed']"]  # fmt: skip
    first_poll = read_recordings(session.folder)[1]
    assert first_poll.drift == (drift[0].split(": ", 1)[1],)
    assert session.answers[1][1]["status"] == "processing", "the client got the upstream's answer unchanged"


def test_a_video_over_the_cap_is_noted_and_replayed_as_the_sample(tmp_path: Path) -> None:
    session = _record(tmp_path / "capped", max_video_bytes=len(VIDEO) - 1)
    assert session.video == VIDEO, "the client still got the whole video"
    content = read_recordings(session.folder)[3]
    assert content.endpoint == "content" and content.response_body is None
    document = json.loads((session.folder / "0004-content.json").read_text())
    assert document["response"]["body"] == {"omitted": True}
    assert any("not kept" in note for note in document["notes"])
    with VideoAPI() as api, api.replay(session.folder):
        video = httpx.get(f"https://a.test/v1/video/generations/{TASK_ID}/content", headers={"Authorization": "B k"})
    assert (video.status_code, video.headers["content-type"], video.content) == (200, "video/mp4", sample_video())


def test_the_marker_replays_a_folder(recorded: Session, pytester: pytest.Pytester) -> None:
    folder = pytester.path / "recorded"
    folder.mkdir()
    for path in recorded.folder.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    pytester.makepyfile(
        f"""
import httpx, pytest, requests

AUTH = {{"Authorization": "Bearer sk-test"}}

@pytest.mark.video_api(replay="recorded")
def test_in_process(video_api):
    created = httpx.post("https://a.test/v1/video/generations", json={CREATE!r}, headers=AUTH)
    assert created.json()["id"] == {TASK_ID!r}

@pytest.mark.video_api(replay="recorded")
def test_live(video_server):
    for status in ("in_progress", "completed", "completed"):
        polled = requests.get(video_server.url + "/v1/video/generations/{TASK_ID}", headers=AUTH, timeout=5)
        assert polled.json()["status"] == status
"""
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_the_upstream_is_the_only_host_the_proxy_reaches() -> None:
    upstream = Upstream("http://127.0.0.1:9/gateway")
    assert str(upstream.url_for("//evil.example/x", "a=1")) == "http://127.0.0.1:9/gateway//evil.example/x?a=1"
    assert upstream.path_of("http://127.0.0.1:9/gateway/v1/video/generations/t/content?s=1") == (
        "/v1/video/generations/t/content",
        "s=1",
    )
    assert upstream.path_of("http://cdn.example/gateway/v1/x") is None
    assert upstream.path_of("https://127.0.0.1:9/gateway/v1/x") is None
    default_port = Upstream("https://gateway.example:443")
    assert str(default_port.url_for("/v1/x", "")) == "https://gateway.example/v1/x"
    assert default_port.path_of("https://gateway.example/v1/x") == ("/v1/x", "")
    with pytest.raises(ValueError, match="http"):
        Upstream("file:///etc/passwd")
    with pytest.raises(ValueError, match="credentials"):
        Upstream("https://user:pw@gateway.example")


def test_bad_options_stop_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest
) -> None:
    from mockserver.cli import main
    from mockserver.live.app import REQUEST_LOG

    # `main` points the request log at this test's captured stderr: give it back afterwards.
    handlers, propagate, level = list(REQUEST_LOG.handlers), REQUEST_LOG.propagate, REQUEST_LOG.level
    request.addfinalizer(lambda: _restore_log(handlers, propagate, level))
    assert main(["record", "--upstream", "ftp://x", "--out", str(tmp_path / "r"), "--port", "0"]) == 2
    assert main(["--replay", str(tmp_path / "missing"), "--port", "0"]) == 2
    with pytest.raises(SystemExit) as refused:
        main(["--replay", str(tmp_path), "--replay-match", "fuzzy"])
    assert refused.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0] == "mockserver record: --upstream must be an http(s) URL with a host, got 'ftp://x'"
    assert err[1] == f"mockserver: {tmp_path / 'missing'}: not a folder of recordings"
    assert err[2] == "mockserver: --replay-match = 'fuzzy': replay_match must be 'exact' or 'loose', got 'fuzzy'"


def _restore_log(handlers: list[logging.Handler], propagate: bool, level: int) -> None:
    from mockserver.live.app import REQUEST_LOG

    REQUEST_LOG.handlers[:], REQUEST_LOG.propagate = handlers, propagate
    REQUEST_LOG.setLevel(level)


def test_replay_is_a_setting_like_any_other(tmp_path: Path) -> None:
    from mockserver.config_sources import settings_from_sources

    config = tmp_path / "mock.toml"
    config.write_text('replay = "from-file"\nreplay_match = "loose"\n', encoding="utf-8")
    from_file = settings_from_sources(config_file=config, environ={})
    assert (from_file.replay, from_file.replay_match) == ("from-file", "loose")
    from_env = settings_from_sources(config_file=config, environ={"VIDU_MOCK_REPLAY": "from-env"})
    assert (from_env.replay, from_env.replay_match) == ("from-env", "loose")
    assert settings_from_sources(environ={"VIDU_MOCK_REPLAY": ""}).replay is None


def test_an_upstream_that_does_not_answer_gets_a_502_and_nothing_is_written(tmp_path: Path) -> None:
    with FakeGateway() as gateway:
        gone = gateway.url  # a loopback port nobody listens on once the gateway stops
    lines: list[str] = []
    with RecordingServer(RecordingProxy(gone, tmp_path / "out", say=lines.append)) as recorder:
        answer = httpx.post(f"{recorder.url}/v1/video/generations", json=CREATE, headers={"Authorization": f"B {KEY}"})
    assert answer.status_code == 502 and answer.json()["error"]["code"] == "upstream_unavailable"
    assert list((tmp_path / "out").iterdir()) == []
    assert lines == ["POST /v1/video/generations -> the upstream did not answer (ConnectError); nothing recorded"]


@pytest.mark.parametrize("dialect", ["uniall", "new-api"])
def test_the_mock_itself_records_without_drift_in_its_dialect(tmp_path: Path, dialect: str) -> None:
    """The mock as the upstream: every answer fits its own dialect, and the other dialect names drift."""
    settings = Settings(port=0, lifecycle="step", dialect=dialect, tokens=(KEY,))
    other = "uniall" if dialect == "new-api" else "new-api"
    lines: dict[str, list[str]] = {dialect: [], other: []}
    creates: dict[str, Any] = {}
    with LiveServer(settings, clock=ManualClock()) as upstream:
        for checked in (dialect, other):
            proxy = RecordingProxy(upstream.url, tmp_path / checked, dialect=checked, say=lines[checked].append)
            with RecordingServer(proxy) as recorder, httpx.Client(headers={"Authorization": f"Bearer {KEY}"}) as client:
                created = creates[checked] = client.post(f"{recorder.url}/v1/video/generations", json=CREATE).json()
                for route in ("/v1/video/generations", "/v1/video/generations", "/v1/videos"):
                    client.get(f"{recorder.url}{route}/{created['id']}")
                client.get(f"{recorder.url}/v1/video/generations/{created['id']}/content")
                client.post(f"{recorder.url}/v1/video/generations", json={"model": "viduq3p-720p"})
                client.get(f"{recorder.url}/v1/video/generations/task_unknown")
    assert not [line for line in lines[dialect] if "DRIFT" in line], lines[dialect]
    assert [line for line in lines[other] if "DRIFT" in line]
    with VideoAPI(Settings(lifecycle="step", dialect=dialect)) as api, api.replay(tmp_path / dialect):
        auth = {"Authorization": "Bearer sk-any"}
        replayed = httpx.post("https://a.test/v1/video/generations", json=CREATE, headers=auth).json()
        polled = httpx.get(f"https://a.test/v1/videos/{replayed['id']}", headers=auth)
    assert replayed == creates[dialect] and polled.status_code == 200


def test_what_verify_records_replays_too(tmp_path: Path) -> None:
    """`mockserver verify --record` writes the same format: its run against the mock replays."""
    from mockserver.verify.cli import main as verify

    out, err = io.StringIO(), io.StringIO()
    with LiveServer(Settings(port=0, tokens=(KEY,), lifecycle="step"), clock=ManualClock()) as upstream:
        argv = ["--base-url", upstream.url, "--rps", "1000", "--poll-interval", "0.01", "--record", str(tmp_path)]
        assert verify(argv, environ={"VIDU_API_KEY": KEY}, stdout=out, stderr=err) == 0, out.getvalue()
    [create] = [e for e in read_recordings(tmp_path) if e.endpoint == "create" and e.status == 200]
    auth = {"Authorization": "Bearer sk-any", "Content-Type": "application/json"}
    with VideoAPI() as api, api.replay(tmp_path):
        created = httpx.post("https://a.test/v1/video/generations", content=create.request_body, headers=auth)
        states = [httpx.get(f"https://a.test/v1/video/generations/{create.task_id}").json()["status"] for _ in range(3)]
        video = httpx.get(f"https://a.test/v1/video/generations/{create.task_id}/content")
    assert created.json() == create.response_json()
    assert states == ["in_progress", "completed", "completed"]
    assert video.status_code == 200 and video.content[4:8] == b"ftyp"
