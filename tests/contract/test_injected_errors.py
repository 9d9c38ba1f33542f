"""An injected client-fault error says it was injected: a valid body never reads "not valid JSON"."""

from __future__ import annotations

import json

import pytest

from mockserver.contract import ContractEngine, Incoming, ManualClock, MockControl, Settings

CREATE = "/v1/video/generations"
AUTH = {"Authorization": "Bearer sk-a", "Content-Type": "application/json"}
VALID = json.dumps({"model": "viduq3p-540p", "prompt": "a fox"}).encode()


def create(api: ContractEngine, **headers: str) -> dict[str, object]:
    reply = api.handle(Incoming("POST", CREATE, {**AUTH, **headers}, VALID))
    error: dict[str, object] = reply.json()["error"]
    error["status"] = reply.status
    return error


@pytest.mark.parametrize(("selector", "status", "code"), [("400", 400, "invalid_json"), ("404", 404, "task_not_found")])
def test_prefer_code_on_a_valid_body_says_it_was_injected(selector: str, status: int, code: str) -> None:
    error = create(ContractEngine(Settings(), ManualClock()), prefer=f"code={selector}")
    assert (error["status"], error["code"]) == (status, code)  # the catalogue's code: clients branch on it
    message = str(error["message"])
    assert message.startswith("Injected by the mock through the Prefer header")
    assert "not valid JSON" not in message


def test_a_queued_and_a_random_400_name_their_source() -> None:
    api = ContractEngine(Settings(), ManualClock())
    MockControl(api).queue_failure("400")
    assert "a queued failure" in str(create(api)["message"])
    api = ContractEngine(Settings(error_rate=1.0, error_codes=("missing_field",)), ManualClock())
    assert "the error rate" in str(create(api)["message"])


def test_injected_server_errors_keep_the_catalogue_wording() -> None:
    error = create(ContractEngine(Settings(), ManualClock()), prefer="code=503")
    assert error["message"] == "The service is temporarily unavailable."


def test_a_real_bad_body_still_gets_the_json_message() -> None:
    api = ContractEngine(Settings(), ManualClock())
    reply = api.handle(Incoming("POST", CREATE, AUTH, b"{not json"))
    assert reply.status == 400 and reply.json()["error"]["message"].startswith("The request body is not valid JSON")
