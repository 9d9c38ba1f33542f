"""`POST /v1/videos` under gunicorn (`mockserver.live.wsgi:app`, several workers), in each dialect: the
OpenAI SDK's form, with an upload, goes through the WSGI face unchanged and the job completes."""

from __future__ import annotations

import openai
import pytest

from mockserver.contract.data.catalogue import GATEWAY_DIALECTS
from tests.support.gunicorn_hosts import gunicorn_host

# Subprocesses: left out of the fast inner loop (-m 'not slow').
pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]
PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)


@pytest.mark.parametrize("dialect", GATEWAY_DIALECTS)
def test_the_sdk_form_with_an_upload_completes_under_gunicorn(dialect: str) -> None:
    # Jobs finish at once (no waiting); workers share the signed task ids' secret.
    settings = {"queued_seconds": "0", "running_seconds": "0", "secret": "videos-route", "dialect": dialect}
    with gunicorn_host(2, **settings) as host:
        client = openai.OpenAI(base_url=f"{host.url}/v1", api_key="sk-wsgi", max_retries=0)
        with client:
            video = client.videos.create_and_poll(
                model="viduq3p-720p", prompt="a fox", seconds="8", input_reference=("fox.png", PNG, "image/png")
            )
            assert video.status == "completed"
            assert client.videos.download_content(video.id).content[4:8] == b"ftyp"
            with pytest.raises(openai.BadRequestError) as refused:
                client.videos.create(model="viduq3p-720p", prompt="")
    assert refused.value.code == "invalid_request"
