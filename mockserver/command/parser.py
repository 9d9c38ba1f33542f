"""The command's one voice: its name, and an argument parser whose every refusal is one line.

The command is `vidu-mock`; `mockserver` (and `python -m mockserver`) is kept as an alias,
and each speaks in the name it was run by. A bad flag or word gives one line on stderr,
naming the closest valid one ("did you mean --port?"); the usage is shown on `--help` only.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from mockserver.contract.spelling import closest

__all__ = ["ALIAS", "NAME", "OneLineParser", "command_name", "did_you_mean"]

NAME = "vidu-mock"
#: The command's earlier name, still installed: every `mockserver ...` invocation keeps working.
ALIAS = "mockserver"


def command_name(argv0: str | None = None) -> str:
    """The name the user ran: `vidu-mock`, or `mockserver` for the alias and `python -m mockserver`."""
    stem = Path(sys.argv[0] if argv0 is None else argv0).name
    return NAME if stem.startswith(NAME) else ALIAS


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    """` (did you mean X?)` for the choice nearest to `word`, or nothing when none is close."""
    best = closest(word, choices)
    return f" (did you mean {best}?)" if best else ""


class OneLineParser(argparse.ArgumentParser):
    """An `ArgumentParser` that refuses in one line, with "did you mean", and no usage block.

    `commands` are the words the command also takes first (`verify`, `record`): a word that
    is neither an option nor one of them is named with the closest.
    """

    def __init__(self, *args: Any, commands: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = tuple(commands)

    def error(self, message: str) -> NoReturn:
        """One line on stderr and exit status 2 (argparse prints the usage first; not here)."""
        self.exit(2, f"{self.prog}: {message}; {self.prog} --help lists the options\n")

    def parse_known_args(  # type: ignore[override]  # argparse's overloads; one shape used here
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        words = list(sys.argv[1:] if args is None else args)
        self._check_flags(words)  # before argparse's own checks: a typo is named before "--x is required"
        parsed, extras = super().parse_known_args(words, namespace)
        if extras:
            self.error(self._unknown(extras[0]))
        return parsed, extras

    def _check_flags(self, words: Sequence[str]) -> None:
        if self.commands and words and not words[0].startswith("-"):
            self.error(self._unknown(words[0]))  # a first word that is not a command: named first
        options = [o for action in self._actions for o in action.option_strings if o.startswith("--")]
        for word in words:
            if word == "--":
                return
            flag = word.split("=", 1)[0]
            if word.startswith("--") and not any(option.startswith(flag) for option in options):
                self.error(self._unknown(word))

    def _unknown(self, word: str) -> str:
        if word.startswith("-"):
            flag = word.split("=", 1)[0]
            options = [o for action in self._actions for o in action.option_strings if o.startswith("--")]
            return f"unknown option {flag}{did_you_mean(flag, options)}"
        if self.commands:
            return f"unknown command {word!r}{did_you_mean(word, self.commands)}"
        return f"unexpected argument {word!r}"
