"""A folder of recordings behind an engine: read it (the I/O the core leaves to its faces) and attach it.

`LiveServer`, `VideoAPI` and `VideoServer` call `attach_replay` for the `replay` setting;
the fixtures' `replay(DIR)` blocks use `replaying`. See docs/recordings.md, "Replay".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from os import PathLike
from pathlib import Path

from mockserver.contract.replay.format import RecordingFormatError
from mockserver.contract.replay.matching import Replay
from mockserver.contract.routes.engine import ContractEngine
from mockserver.recordings.cassettes import CASSETTE_SUFFIXES, read_cassettes
from mockserver.recordings.folder import read_recordings

__all__ = ["attach_replay", "load_replay", "replaying"]


def load_replay(folder: str | PathLike[str], match: str = "exact") -> Replay:
    """A `Replay` of the recordings in `folder`; `RecordingFormatError` names a file that is wrong,
    or the folder when it holds no recordings at all.

    A vcrpy or pytest-recording cassette (a `.yaml` file, or a folder of them and no
    recordings) is read as recordings too (`mockserver.recordings.cassettes`).
    """
    path = Path(folder)
    cassette_file = path.suffix in CASSETTE_SUFFIXES and path.is_file()
    cassette_folder = path.is_dir() and not any(path.glob("[0-9]*-*.json")) and any(path.rglob("*.y*ml"))
    exchanges = read_cassettes(path) if cassette_file or cassette_folder else read_recordings(path)
    if not exchanges:
        # Replaying nothing would answer every request with a near-miss 404: say so at the start instead.
        raise RecordingFormatError(
            f"{path}: no recordings to replay (an empty folder, or a cassette without interactions); "
            "record some with: vidu-mock record --upstream URL --out FOLDER"
        )
    return Replay(exchanges, match)


def attach_replay(engine: ContractEngine) -> None:
    """Answer from the folder the engine's `replay` setting names (read now), or from the contract if none."""
    settings = engine.settings
    engine.replay = load_replay(settings.replay, settings.replay_match) if settings.replay else None


@contextmanager
def replaying(engine: ContractEngine, folder: str | PathLike[str], match: str = "exact") -> Iterator[Replay]:
    """For the block, `engine` answers from the recordings in `folder` (its settings say so too)."""
    replay = load_replay(folder, match)
    with engine.lock:
        settings, before = engine.settings, engine.replay
        engine.settings = settings.with_updates(replay=str(folder), replay_match=match)
        engine.replay = replay
    try:
        yield replay
    finally:
        with engine.lock:
            engine.settings, engine.replay = settings, before
