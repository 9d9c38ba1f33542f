"""`video_api` and `video_server` in one test each answer their own requests; clients video_api cannot
intercept (urllib, or requests without vidu-mock[requests]) are told to use `video_server`."""

from __future__ import annotations

import asyncio
import socket
import sys
import urllib.error
import urllib.request

import aiohttp
import httpx
import pytest
import requests

from pytest_plugin import VideoAPI, VideoServer
from pytest_plugin.fake_host_guard import NotInterceptedError

CREATE = "/v1/video/generations"
TEXT = {"model": "viduq3p-720p", "prompt": "a fox"}
AUTH = {"Authorization": "Bearer sk-both"}


def test_requests_to_the_live_server_reach_it_with_both_fixtures(
    video_api: VideoAPI, video_server: VideoServer
) -> None:
    live = httpx.post(video_server.url + CREATE, json=TEXT, headers=AUTH, timeout=5)
    in_process = httpx.post("https://api.example.com" + CREATE, json=TEXT, headers=AUTH, timeout=5)
    assert live.status_code == in_process.status_code == 200
    assert "x-mock-worker" in live.headers and "x-mock-worker" not in in_process.headers  # only the server adds it
    assert len(video_server.journal) == 1
    assert len(video_api.journal) == 1


def test_the_order_of_the_fixtures_does_not_matter(video_server: VideoServer, video_api: VideoAPI) -> None:
    httpx.post(video_server.url + CREATE, json=TEXT, headers=AUTH, timeout=5)
    assert (len(video_server.journal), len(video_api.journal)) == (1, 0)


def test_requests_and_aiohttp_to_the_fake_host_are_answered_in_process(video_api: VideoAPI) -> None:
    assert requests.post(video_api.url + CREATE, json=TEXT, headers=AUTH, timeout=5).status_code == 200

    async def aiohttp_post() -> int:
        async with aiohttp.ClientSession(video_api.url) as session, session.post(CREATE, json=TEXT, headers=AUTH) as r:
            return r.status

    assert asyncio.run(aiohttp_post()) == 200
    assert len(video_api.journal) == 2


def test_requests_without_its_extra_is_not_intercepted_and_told_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    # `responses` missing (vidu-mock[requests] not installed): the bridge is skipped, nothing else breaks.
    monkeypatch.setitem(sys.modules, "responses", None)
    monkeypatch.delitem(sys.modules, "pytest_plugin.requests_bridge", raising=False)
    with VideoAPI() as api:
        with pytest.raises(requests.ConnectionError, match="vidu-mock\\[requests\\]"):
            requests.post(api.url + CREATE, json=TEXT, headers=AUTH, timeout=5)
        assert httpx.post(api.url + CREATE, json=TEXT, headers=AUTH).status_code == 200


def test_urllib_to_the_fake_host_names_video_server(video_api: VideoAPI) -> None:
    with pytest.raises(urllib.error.URLError) as caught:
        urllib.request.urlopen(video_api.url + CREATE, timeout=5)
    assert isinstance(caught.value.reason, NotInterceptedError)
    assert "video_server" in str(caught.value.reason)


def test_a_lookup_of_the_fake_host_names_video_server(video_api: VideoAPI) -> None:
    # What aiohttp's resolver (and any other client) calls under the hood.
    with pytest.raises(socket.gaierror, match="httpx and httpx2 clients"):
        socket.getaddrinfo("vidu-mock.test", 443)


def test_the_lookup_is_restored_when_video_api_stops() -> None:
    original = socket.getaddrinfo
    with VideoAPI():
        assert socket.getaddrinfo is not original
        with VideoAPI():
            pass
        assert socket.getaddrinfo is not original  # the outer fake still runs
    assert socket.getaddrinfo is original
    assert socket.getaddrinfo("localhost", 80)


def test_let_through_sends_a_base_url_to_the_network(video_server: VideoServer) -> None:
    with VideoAPI() as api:
        api.let_through(video_server.url + "/")
        httpx.post(video_server.url + CREATE, json=TEXT, headers=AUTH, timeout=5)
    assert (len(video_server.journal), len(api.journal)) == (1, 0)
