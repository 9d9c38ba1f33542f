"""The dashboard's callback table: every attempt, its outcome, the receiver's status or the error."""

from __future__ import annotations

import html

from mockserver.contract import ContractEngine, ManualClock, Settings
from mockserver.contract.admin.control import MockControl
from mockserver.contract.messages import Incoming
from mockserver.contract.routes.router import Router
from mockserver.dashboard import render_page
from mockserver.dashboard.page import snapshot
from pytest_plugin.callback_delivery import deliver_in_process
from pytest_plugin.callback_receiver import CallbackReceiver

TOKEN = "vda-dashboard-token-731"


def test_each_attempt_shows_with_its_outcome_and_a_blocked_one_says_why() -> None:
    engine = ContractEngine(Settings(dialect="vidu", lifecycle="step"), ManualClock())
    router, control, receiver = Router(engine), MockControl(engine), CallbackReceiver(TOKEN)
    headers = {"Authorization": f"Token {TOKEN}", "Content-Type": "application/json"}
    ids = []
    for url in (receiver.fake_url, "http://203.0.113.9/hook?<b>"):
        body = f'{{"model": "viduq3-pro", "prompt": "a fox", "callback_url": "{url}"}}'.encode()
        ids.append(router.handle(Incoming("POST", "/ent/v2/text2video", headers, body)).json()["task_id"])
    receiver.fail_next(1)
    for task_id in ids:
        control.complete(task_id)
    deliver_in_process(engine, [receiver])
    page = render_page(snapshot(control))
    table = page.split('<tbody id="callback-rows">', 1)[1].split("</tbody>", 1)[0]
    assert table.count("<tr>") == 4
    assert '<td class="message">500</td>' in table and '<td class="message">200</td>' in table
    assert "blocked" in table and html.escape("203.0.113.9 is not a loopback address") in table
    assert "<b>" not in table and html.escape("http://203.0.113.9/hook?<b>") in table
    assert TOKEN not in page


def test_without_callbacks_the_table_says_so() -> None:
    control = MockControl(ContractEngine(Settings(), ManualClock()))
    assert "No callbacks yet." in render_page(snapshot(control))
    assert "callback-rows" in render_page(None)
