"""pytest fixtures for the fake Vidu video API: in process (`VideoAPI`) or on a real port (`VideoServer`).

Both are `MockControl`s over the same `ContractEngine` as the standalone server, and both
work in plain scripts as context managers. The pytest plugin (`pytest_plugin.plugin`)
exposes them as the `video_api` and `video_server` fixtures.

The names below load on first use: pytest imports the plugin in every run where
vidu-mock is installed, and that must not cost httpx, respx or JSON Schema start-up.
"""

import typing as _typing
from importlib import import_module as _import_module

if _typing.TYPE_CHECKING:
    from mockserver.contract.admin.control import MockControl
    from mockserver.contract.settings import Settings
    from pytest_plugin.admin_client import AdminClient
    from pytest_plugin.callback_receiver import CallbackReceiver, ReceivedCallback
    from pytest_plugin.client_seam import HangsForeverError
    from pytest_plugin.options import DEFAULT_SETTINGS, FakeOptions
    from pytest_plugin.url_scope import DEFAULT_URL, ApiScope
    from pytest_plugin.video_api import RecordedDelay, VideoAPI
    from pytest_plugin.video_server import VideoServer, VideoServerPool

__all__ = [
    "AdminClient",
    "DEFAULT_SETTINGS",
    "DEFAULT_URL",
    "ApiScope",
    "CallbackReceiver",
    "FakeOptions",
    "HangsForeverError",
    "MockControl",
    "ReceivedCallback",
    "RecordedDelay",
    "Settings",
    "VideoAPI",
    "VideoServer",
    "VideoServerPool",
]

_HOMES = {
    "AdminClient": "pytest_plugin.admin_client",
    "DEFAULT_SETTINGS": "pytest_plugin.options",
    "DEFAULT_URL": "pytest_plugin.url_scope",
    "ApiScope": "pytest_plugin.url_scope",
    "CallbackReceiver": "pytest_plugin.callback_receiver",
    "FakeOptions": "pytest_plugin.options",
    "HangsForeverError": "pytest_plugin.client_seam",
    "MockControl": "mockserver.contract.admin.control",
    "ReceivedCallback": "pytest_plugin.callback_receiver",
    "RecordedDelay": "pytest_plugin.video_api",
    "Settings": "mockserver.contract.settings",
    "VideoAPI": "pytest_plugin.video_api",
    "VideoServer": "pytest_plugin.video_server",
    "VideoServerPool": "pytest_plugin.video_server",
}


def __getattr__(name: str) -> _typing.Any:
    """Import a public name from its module the first time it is asked for."""
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
