"""The `callbacks` object Vidu's create operations carry in the vidu OpenAPI document."""

from __future__ import annotations

from typing import Any

from openapi_spec_validator import validate

from mockserver.contract.callbacks.faults import CALLBACK_STATES
from mockserver.openapi.callbacks import CALLBACK_NAME, create_callbacks


def document_with(callbacks: dict[str, Any]) -> dict[str, Any]:
    task = {"type": "object", "required": ["id", "state"], "properties": {"state": {"enum": list(CALLBACK_STATES)}}}
    create = {
        "operationId": "text2video",
        "requestBody": {
            "content": {
                "application/json": {"schema": {"type": "object", "properties": {"callback_url": {"type": "string"}}}}
            }
        },
        "responses": {"200": {"description": "created"}},
        "callbacks": callbacks,
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {"/ent/v2/text2video": {"post": create}},
        "components": {"schemas": {"ViduTask": task}},
    }


def test_the_callback_is_a_valid_openapi_31_callback_on_the_create() -> None:
    callbacks = create_callbacks("#/components/schemas/ViduTask")
    validate(document_with(callbacks))
    post = callbacks[CALLBACK_NAME]["{$request.body#/callback_url}"]["post"]
    names = [p["name"] for p in post["parameters"]]
    assert names == [
        "Date",
        "x-request-nonce",
        "X-HMAC-SIGNED-HEADERS",
        "X-HMAC-SIGNATURE",
        "X-HMAC-ALGORITHM",
        "X-HMAC-ACCESS-KEY",
    ]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ViduTask"}
    assert "3 more times" in post["description"] and "1 s, 2 s, 4 s" in post["description"]


def test_every_create_of_the_vidu_document_declares_the_callback() -> None:
    from mockserver.contract.vidu.data import PREFIX, VIDU_ROUTES
    from mockserver.openapi.document import openapi_document

    document = openapi_document("vidu")
    validate(document)
    creates = [f"{PREFIX}/{name}" for name in VIDU_ROUTES]
    assert len(creates) == 4
    for path in creates:
        callbacks = document["paths"][path]["post"]["callbacks"]
        assert callbacks == create_callbacks("#/components/schemas/ViduTask"), path
    assert "ViduTask" in document["components"]["schemas"]
