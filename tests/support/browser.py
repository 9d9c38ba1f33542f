"""Playwright driving the system's chromium (Debian's package), never a browser Playwright downloads."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, sync_playwright

__all__ = ["CHROMIUM", "chromium"]

#: The chromium executable on PATH (`.ci/run` installs Debian's package), or None.
CHROMIUM = shutil.which("chromium")


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless chromium from `CHROMIUM`, closed afterwards."""
    if CHROMIUM is None:
        raise RuntimeError("chromium is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            yield browser
        finally:
            browser.close()
