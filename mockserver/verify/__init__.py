"""Provider verification: replay the contract against a live gateway and report every drift.

`mockserver verify --base-url URL` runs free checks (auth, refused bodies, unknown task and
path), then at most `--creates` paid ones (create, poll to a final state, download the
video), politely (`--rps`, `Retry-After`, `--max-requests`). See README, "Check the mock
against your gateway".
"""

from mockserver.verify.cli import main
from mockserver.verify.dialects import DIALECTS, Dialect, Shape
from mockserver.verify.results import CheckResult, Report

__all__ = ["DIALECTS", "CheckResult", "Dialect", "Report", "Shape", "main"]
