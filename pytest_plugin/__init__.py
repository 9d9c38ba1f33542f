"""pytest fixtures for the fake Vidu video API: in process (`VideoAPI`) or on a real port (`VideoServer`).

Both are `MockControl`s over the same `ContractEngine` as the standalone server, and both
work in plain scripts as context managers. The pytest plugin (`pytest_plugin.plugin`)
exposes them as the `video_api` and `video_server` fixtures.
"""

from mockserver.contract.control import MockControl
from mockserver.contract.settings import Settings
from pytest_plugin.options import DEFAULT_SETTINGS, FakeOptions
from pytest_plugin.url_scope import DEFAULT_URL, ApiScope
from pytest_plugin.video_api import RecordedDelay, VideoAPI
from pytest_plugin.video_server import VideoServer, VideoServerPool

__all__ = [
    "DEFAULT_SETTINGS",
    "DEFAULT_URL",
    "ApiScope",
    "FakeOptions",
    "MockControl",
    "RecordedDelay",
    "Settings",
    "VideoAPI",
    "VideoServer",
    "VideoServerPool",
]
