"""The dashboard page and `GET /__mock/tasks` without a browser: routes, guard, escaping, secrets."""

from __future__ import annotations

import html
import logging
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from mockserver.cli import banner
from mockserver.contract import ContractEngine, ManualClock, Settings
from mockserver.contract.admin.routes import TASK_LIST_LIMIT
from mockserver.dashboard import JOURNAL_ROWS, render_page
from mockserver.live.app import REQUEST_LOG, create_app
from tests.support.contract_checks import assert_conforms
from tests.support.live_servers import CREATE, TEXT

BEARER = "sk-dashboard-Bearer-987"
AUTH = {"Authorization": f"Bearer {BEARER}"}
LOCAL = {"REMOTE_ADDR": "127.0.0.1"}
REMOTE = {"REMOTE_ADDR": "203.0.113.9"}
ADMIN = "adm-page-Token-456"
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def client(**settings: Any) -> FlaskClient:
    return create_app(engine=ContractEngine(Settings(**settings), ManualClock())).test_client()


def page(test_client: FlaskClient, **headers: str) -> str:
    response = test_client.get("/__mock/", environ_base=LOCAL, headers=headers)
    assert response.status_code == 200 and response.content_type == "text/html; charset=utf-8"
    return response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/__mock/", "/__mock"])
def test_the_page_is_served_at_the_admin_root_with_its_tables(path: str) -> None:
    response = client().get(path, environ_base=LOCAL)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    for table in ("journal-rows", "task-rows", "rule-rows", "settings-rows"):
        assert f'id="{table}"' in text
    assert "$" not in text, "every template placeholder is filled"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_assets_are_served_with_their_types_and_ship_in_the_package() -> None:
    test_client = client()
    script = test_client.get("/__mock/assets/dashboard.js", environ_base=LOCAL)
    style = test_client.get("/__mock/assets/dashboard.css", environ_base=LOCAL)
    assert script.status_code == style.status_code == 200
    assert script.content_type.startswith("text/javascript") and style.content_type.startswith("text/css")
    source = script.get_data(as_text=True)
    assert "innerHTML" not in source and "X-Mock-Admin-Token" in source
    assert "http://" not in source + style.get_data(as_text=True), "no CDN, nothing fetched from elsewhere"


def test_only_get_and_head_reach_the_page_and_the_other_admin_routes_still_answer() -> None:
    test_client = client()
    assert test_client.head("/__mock/", environ_base=LOCAL).status_code == 200
    refused = test_client.post("/__mock/", environ_base=LOCAL, json={})  # JSON: past the cross-site check
    assert refused.status_code == 405 and refused.headers["Allow"] == "GET, HEAD"
    assert_conforms(405, refused.data)
    for path in ("journal", "failures", "config", "clock", "tasks"):
        assert test_client.get(f"/__mock/{path}", environ_base=LOCAL).status_code == 200, path
    missing = test_client.get("/__mock/assets/other.js", environ_base=LOCAL)
    assert missing.status_code == 404


def test_the_page_shows_requests_tasks_rules_and_settings() -> None:
    test_client = client()
    job = test_client.post(CREATE, json=TEXT, headers=AUTH).get_json()
    refused = test_client.post(CREATE, json={"model": "viduq3p-720p"}, headers=AUTH).get_json()
    test_client.post(f"/__mock/tasks/{job['id']}", json={"action": "complete"}, environ_base=LOCAL)
    test_client.post("/__mock/failures", json={"error": "503", "times": 3}, environ_base=LOCAL)
    text = page(test_client)
    assert TEXT["prompt"] in text and html.escape(refused["error"]["message"]) in text
    # The video previews from the admin API, never the API's download (which journals and uses up rules).
    assert f'data-id="{job["id"]}"' in text and f'src="/__mock/tasks/{job["id"]}/video"' in text
    assert f"{CREATE}/{job['id']}/content" not in text
    assert "<td>503</td>" in text and "<td>lifecycle</td><td>time</td>" in text
    assert re.search(r'<td class="num">\d+\.\d ms</td>', text)


def test_every_value_is_escaped_and_no_secret_is_shown() -> None:
    test_client = client(tokens=(BEARER,), secret="sec-signing-Key-321")
    test_client.post(CREATE, json={"model": "viduq3p-720p", "prompt": XSS}, headers=AUTH)
    test_client.post(CREATE, json={"model": XSS, "prompt": "x"}, headers=AUTH)
    text = page(test_client)
    assert text.count(html.escape(XSS)) == 2
    assert "<script>alert" not in text and "<img" not in text
    for secret in (BEARER, "sec-signing-Key-321"):
        assert secret not in text


def test_the_guard_is_the_admin_apis() -> None:
    refused = client().get("/__mock/", environ_base=REMOTE)
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (403, "admin_forbidden")
    assert client().get("/__mock/assets/dashboard.js", environ_base=REMOTE).status_code == 403
    # With a token, anyone gets the page, but without data until the script sends the token.
    test_client = client(admin_token=ADMIN)
    test_client.post(CREATE, json=TEXT, headers=AUTH)
    for environ in (LOCAL, REMOTE):
        locked = test_client.get("/__mock/", environ_base=environ, headers={"X-Mock-Admin-Token": "wrong"})
        text = locked.get_data(as_text=True)
        assert locked.status_code == 200 and 'data-locked="true"' in text
        assert TEXT["prompt"] not in text and "lifecycle" not in text and "wrong" not in text
        assert test_client.get("/__mock/tasks", environ_base=environ).status_code == 403
    unlocked = page(test_client, **{"X-Mock-Admin-Token": ADMIN})
    assert TEXT["prompt"] in unlocked and 'data-locked="false"' in unlocked and ADMIN not in unlocked


def test_the_token_field_is_never_submitted_by_a_form() -> None:
    # No `name` on the token input and CSP form-action 'none': without the script, nothing puts it in a URL.
    text = render_page(None)
    field = re.search(r"<input[^>]*id=\"token-input\"[^>]*>", text)
    assert field and "name=" not in field.group(0)
    assert 'type="password"' in field.group(0)


def test_the_task_list_is_newest_last_and_capped() -> None:
    test_client = client(max_tasks=TASK_LIST_LIMIT + 5)
    ids = [test_client.post(CREATE, json=TEXT, headers=AUTH).get_json()["id"] for _ in range(TASK_LIST_LIMIT + 3)]
    listing = test_client.get("/__mock/tasks", environ_base=LOCAL).get_json()
    assert listing["total"] == TASK_LIST_LIMIT + 3
    assert [task["id"] for task in listing["tasks"]] == ids[-TASK_LIST_LIMIT:]
    assert listing["tasks"][0] == {
        "id": ids[3],
        "model": TEXT["model"],
        "mode": "text-to-video",
        "status": "queued",
        "progress": 0,
        "outcome": "succeed",
        "lifecycle": "time",
        "created_at": listing["tasks"][0]["created_at"],
        "completed_at": None,
        "video_path": None,
        "preview_path": None,
    }
    assert test_client.post("/__mock/tasks", environ_base=LOCAL, json={}).status_code == 405


def test_the_page_shows_at_most_the_newest_journal_rows() -> None:
    test_client = client()
    for number in range(JOURNAL_ROWS + 2):
        test_client.post(CREATE, json={**TEXT, "prompt": f"prompt number {number}."}, headers=AUTH)
    text = page(test_client)
    assert text.count('<td class="prompt">') == JOURNAL_ROWS
    assert "prompt number 1." not in text and f"prompt number {JOURNAL_ROWS + 1}." in text


def test_the_journal_keeps_latency_and_the_error_message() -> None:
    engine = ContractEngine(Settings(), ManualClock())
    test_client = create_app(engine=engine).test_client()
    test_client.post(CREATE, json=TEXT, headers=AUTH)
    test_client.post(CREATE, json=TEXT, headers={**AUTH, "Prefer": "code=429,delay=40"})
    test_client.post(CREATE, json={"model": "viduq3p-720p"}, headers=AUTH)
    test_client.get(f"{CREATE}/task_nope", headers=AUTH)
    ok, injected, refused, missing = engine.journal.entries()
    assert ok.message is None and ok.latency_ms is not None and 0 <= ok.latency_ms < 40
    assert injected.injected == "prefer" and injected.message and injected.latency_ms is not None
    assert injected.latency_ms >= 40  # the injected delay counts
    assert refused.message == "prompt: required for text-to-video"
    assert missing.status == 404 and missing.message and "task_nope" in missing.message


def test_the_banner_prints_the_dashboard_url() -> None:
    assert "dashboard: http://127.0.0.1:8123/__mock/" in banner("http://127.0.0.1:8123", Settings())


def test_admin_reads_are_not_logged_so_the_polling_page_does_not_flood_the_console(
    caplog: pytest.LogCaptureFixture,
) -> None:
    test_client = client()
    with caplog.at_level(logging.INFO, logger=REQUEST_LOG.name):
        for path in ("/__mock/", "/__mock/journal", "/__mock/tasks", "/__mock/clock"):
            test_client.get(path, environ_base=LOCAL)
        test_client.post(CREATE, json=TEXT, headers=AUTH)
        test_client.post("/__mock/reset", environ_base=LOCAL)
    lines = [record.getMessage() for record in caplog.records if record.name == REQUEST_LOG.name]
    assert [line.split(" -> ")[0] for line in lines] == ["POST /v1/video/generations", "POST /__mock/reset"]


def test_the_preview_route_serves_a_completed_video_and_changes_nothing() -> None:
    test_client = client()
    job = test_client.post(CREATE, json=TEXT, headers=AUTH).get_json()
    preview = f"/__mock/tasks/{job['id']}/video"
    early = test_client.get(preview, environ_base=LOCAL)
    assert (early.status_code, early.get_json()["error"]["code"]) == (404, "not_found")
    assert "queued" in early.get_json()["error"]["message"]
    test_client.post(f"/__mock/tasks/{job['id']}", json={"action": "complete"}, environ_base=LOCAL)
    test_client.post("/__mock/failures", json={"error": 503, "endpoint": "content"}, environ_base=LOCAL)
    journal = test_client.get("/__mock/journal", environ_base=LOCAL).get_json()
    for _ in range(3):
        video = test_client.get(preview, environ_base=LOCAL)
        assert (video.status_code, video.content_type, video.data[4:8]) == (200, "video/mp4", b"ftyp")
    assert test_client.get("/__mock/journal", environ_base=LOCAL).get_json() == journal
    rules = test_client.get("/__mock/failures", environ_base=LOCAL).get_json()["rules"]
    assert [(rule["endpoint"], rule["times"]) for rule in rules] == [("content", 1)]
    assert test_client.get(preview, environ_base=REMOTE).status_code == 403  # the admin API's guard
    assert test_client.post(preview, json={}, environ_base=LOCAL).status_code == 405
    missing = test_client.get("/__mock/tasks/task_" + "A" * 43 + "/video", environ_base=LOCAL)
    assert missing.status_code == 404
