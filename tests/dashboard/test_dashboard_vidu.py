"""The dashboard in the `vidu` dialect: Vidu's state names, Vidu's media link listed, the video previewed by the admin API."""

from __future__ import annotations

from mockserver.contract import ContractEngine, ManualClock, Settings
from mockserver.live.app import create_app

LOCAL = {"REMOTE_ADDR": "127.0.0.1"}
AUTH = {"Authorization": "Token dashboard-vidu-key"}


def test_the_page_and_the_task_list_speak_vidus_states() -> None:
    engine = ContractEngine(Settings(dialect="vidu", lifecycle="step"), ManualClock())
    client = create_app(engine=engine).test_client()
    created = client.post("/ent/v2/text2video", json={"model": "viduq3-pro", "prompt": "a fox"}, headers=AUTH)
    task_id = created.get_json()["task_id"]
    [listed] = client.get("/__mock/tasks", environ_base=LOCAL).get_json()["tasks"]
    assert (listed["id"], listed["status"], listed["state"], listed["video_path"]) == (
        task_id,
        "queued",
        "queueing",
        None,
    )
    page = client.get("/__mock/", environ_base=LOCAL).get_data(as_text=True)
    assert '<td class="status queued">queueing</td>' in page
    for _ in range(2):
        client.get(f"/ent/v2/tasks/{task_id}/creations", headers=AUTH)
    [done] = client.get("/__mock/tasks", environ_base=LOCAL).get_json()["tasks"]
    assert (done["state"], done["video_path"]) == ("success", f"/ent/v2/media/{task_id}.mp4")
    video = client.get(done["video_path"])
    assert video.status_code == 200 and video.content_type == "video/mp4"
    # The page previews through the admin API (never the API's own media link, which a test's
    # rules and journal would see): issue 33's "the dashboard observes, never takes part".
    assert done["preview_path"] == f"/__mock/tasks/{task_id}/video"
    assert f'src="{done["preview_path"]}"' in client.get("/__mock/", environ_base=LOCAL).get_data(as_text=True)
    preview = client.get(done["preview_path"], environ_base=LOCAL)
    assert preview.status_code == 200 and preview.content_type == "video/mp4"
