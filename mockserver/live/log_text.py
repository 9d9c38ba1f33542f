"""Text from a request made safe for a console line: no control characters reach the terminal."""

from __future__ import annotations

__all__ = ["printable"]


def printable(text: str, limit: int = 200) -> str:
    """`text` cut to `limit` characters, with control and other non-printable characters escaped.

    A path like `/abc%0A17:00:00 POST ...%1b[31m` must not forge a second log line or
    colour the terminal; backslashes are escaped too, so an escape in the output always
    means an escaped character (the journal gets the same guarantee from JSON).
    """
    text = text[:limit]
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(
        "\\\\" if char == "\\" else char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in text
    )
