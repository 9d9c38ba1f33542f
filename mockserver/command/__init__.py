"""The command's one voice: its name (`vidu-mock`, alias `mockserver`) and its one-line refusals."""

from mockserver.command.parser import ALIAS, NAME, OneLineParser, command_name, did_you_mean

__all__ = ["ALIAS", "NAME", "OneLineParser", "command_name", "did_you_mean"]
