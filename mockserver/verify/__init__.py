"""Provider verification: replay the contract against a live gateway and report every drift.

`mockserver verify --base-url URL` runs the probes (auth, refused bodies, unknown task and
path), then the paid creates (create, poll to a final state, download the video), never
causing more than `--creates` jobs in all (`budget`), politely (`--rps`, `Retry-After`,
`--max-requests`, `--timeout`), optionally recording every exchange (`--record`). See
README, "Check the mock against your gateway".
"""

from mockserver.verify.cli import main
from mockserver.verify.expectations import DIALECTS, DialectExpectations, Shape
from mockserver.verify.results import CheckResult, Report

__all__ = ["DIALECTS", "CheckResult", "DialectExpectations", "Report", "Shape", "main"]
