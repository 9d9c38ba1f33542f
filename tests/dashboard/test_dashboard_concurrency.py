"""The dashboard's concurrency panel without a browser: the cap, each token's held slots by fingerprint, no token."""

from __future__ import annotations

from mockserver.contract import ContractEngine, ManualClock, Settings
from mockserver.contract.admin.control import MockControl
from mockserver.contract.jobs.ids import owner_fingerprint
from mockserver.contract.messages import Incoming
from mockserver.contract.routes.router import Router
from mockserver.dashboard import render_page
from mockserver.dashboard.page import NO_HOLDERS, PER_WORKER_ROW, snapshot

TOKEN = "sk-panel-Token-4711"
BODY = b'{"model": "viduq3p-720p", "prompt": "a fox"}'


def panel(page: str) -> str:
    return page.split('<p id="concurrency-cap">', 1)[1].split("</tbody>", 1)[0]


def test_the_panel_shows_the_cap_and_the_slots_held_by_fingerprint() -> None:
    engine = ContractEngine(Settings(lifecycle="step", token_concurrency=2), ManualClock())
    router, control = Router(engine), MockControl(engine)
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    created = router.handle(Incoming("POST", "/v1/video/generations", headers, BODY)).json()["id"]
    page = render_page(snapshot(control))
    shown = panel(page)
    assert "Cap: 2 tasks in flight per token" in shown
    fingerprint = owner_fingerprint(engine.settings.secret, TOKEN)
    assert f'<td class="id">{fingerprint}</td><td class="num">1 of 2</td>' in shown
    assert TOKEN not in page
    control.fail(created)
    assert NO_HOLDERS in panel(render_page(snapshot(control)))


def test_without_a_cap_locked_or_per_worker_the_panel_says_so() -> None:
    control = MockControl(ContractEngine(Settings(), ManualClock()))
    assert "No cap" in panel(render_page(snapshot(control))) and NO_HOLDERS in render_page(snapshot(control))
    assert "Locked" in panel(render_page(None))
    per_worker = panel(render_page(snapshot(control, per_worker=True)))
    assert "No cap" in per_worker and PER_WORKER_ROW in per_worker
