"""The OpenAPI pieces of `POST /v1/videos` (build time only): its two request bodies and its wording.

The JSON body's schema is `video_readers.videos_request_schema()` (built from the request
schema's own parts); the form's is the same with every field as text, as a form carries it,
and `input_reference` a file upload. `openapi_doc` puts both in the document.
"""

from __future__ import annotations

import copy
from typing import Any

from mockserver.contract.data.catalogue import COLLECTION, VIDEOS, DialectName
from mockserver.contract.requests.readers import videos_request_schema

__all__ = ["CREATE_VIDEO_ID", "remix_request_schema", "videos_create_description", "videos_form_schema"]

CREATE_VIDEO_ID = "createVideo"


def videos_form_schema() -> dict[str, Any]:
    """The `multipart/form-data` body: the JSON body's fields as text, `input_reference` a file."""
    schema = copy.deepcopy(videos_request_schema())
    schema["title"] = "CreateVideoForm"
    schema["description"] = (
        "POST /v1/videos as multipart/form-data (what the OpenAI SDK's videos.create sends): one part per "
        "field, `images` repeated, `input_reference` a file upload (one image). Other parts become `metadata`."
    )
    props = schema["properties"]
    props["duration"] = props["seconds"]  # a form holds text only
    props["input_reference"] = {
        "type": "string",
        # OpenAPI 3.1's way to say "a file" in a form (3.0 wrote format: binary).
        "contentMediaType": "application/octet-stream",
        "description": "An image file: counts as one image (the mock keeps its size, never its bytes).",
    }
    del props["metadata"]  # unknown parts are the metadata (new-api: validateMultipartTaskRequest)
    schema.pop("$defs")  # the JSON body's component holds them
    return schema


def remix_request_schema() -> dict[str, Any]:
    """The body of `POST /v1/videos/{video_id}/remix`: the create's fields; the model is the origin task's."""
    schema = copy.deepcopy(videos_request_schema())
    schema["title"] = "RemixVideoRequest"
    schema["description"] = (
        "Body of POST /v1/videos/{video_id}/remix: read like a POST /v1/videos body (`prompt` required), but the "
        "task runs on the origin task's model, so a `model` here is ignored and whether the images fit it (three "
        "or more for a -mix- model) is known only once the origin is found."
    )
    schema["required"] = ["prompt"]
    schema["properties"]["model"] = {"description": "Ignored: a remix runs on its origin task's model."}
    schema["allOf"] = [rule for rule in schema["allOf"] if "if" not in rule]  # the model rule needs the origin
    schema.pop("$defs")  # the JSON body's component holds them
    return schema


def videos_create_description(dialect: DialectName) -> str:
    """What the document says of the route in `dialect`: read in new-api's source, or inferred for UniAll."""
    common = (
        f"The OpenAI-compatible create (`client.videos.create`): new-api's `TaskSubmitReq` as JSON or "
        f"multipart/form-data, mapped onto the rules of `POST {COLLECTION}`. The images (`image`, "
        "`images` or an uploaded `input_reference`, one of them) pick the mode as new-api's Vidu adaptor does: "
        "none text-to-video, one image-to-video, two first-and-last-frame, three or more reference-to-video "
        "(a -mix- model). `prompt` is always required. Journaled as endpoint `create`, path "
        f"`{VIDEOS}`."
    )
    if dialect == "new-api":
        return common + " Answers and refusals as read in new-api's source (docs/contract.md)."
    return common + (
        " Inferred: no UniAll page documents this route; the mock answers in UniAll's shapes (the created job is "
        f"the `GET {VIDEOS}/{{task_id}}` object, `queued`)."
    )
