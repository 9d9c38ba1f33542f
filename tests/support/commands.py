"""Running the `mockserver` command (and its `record` sub-command) as a subprocess on a free port."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["BIN", "running"]

BIN = Path(sys.executable).parent


@contextmanager
def running(words: list[str], cwd: Path, pattern: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Start a `mockserver` command on a free port; yields its URL (from its first line) and the process.

    On leaving, a process still running gets SIGINT (as Ctrl-C) and is waited for.
    """
    process = subprocess.Popen(
        [str(BIN / words[0]), *words[1:], "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.search(pattern, first)
        assert match, first + process.communicate(timeout=10)[1]
        yield match.group(1), process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        process.communicate(timeout=15)
