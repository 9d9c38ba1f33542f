"""`mockserver record`: a recording proxy in front of a real gateway (docs/recordings.md).

Loaded only by `mockserver record` and by code that records: serving the mock never imports it.
"""

from mockserver.record.proxy import DEFAULT_MAX_VIDEO_BYTES, RecordingProxy, Upstream
from mockserver.record.server import RecordingServer

__all__ = ["DEFAULT_MAX_VIDEO_BYTES", "RecordingProxy", "RecordingServer", "Upstream"]
