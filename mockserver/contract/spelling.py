"""The closest valid value to a likely typo: one rule for every "did you mean" the mock says."""

from __future__ import annotations

from collections.abc import Iterable
from difflib import SequenceMatcher

__all__ = ["closest"]


def closest(value: object, choices: Iterable[str]) -> str | None:
    """The choice nearest to `value`, or None when none is close (difflib's usual 0.6 cutoff).

    Ties go to the earlier choice: the catalogue lists its main models first.
    """
    text = str(value)
    best, score = None, 0.6
    for choice in choices:
        ratio = SequenceMatcher(None, text, choice).ratio()
        if ratio > score:
            best, score = choice, ratio
    return best
