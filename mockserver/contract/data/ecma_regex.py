"""JSON Schema `pattern`s evaluated with their ECMA-262 meaning on Python's `re`.

JSON Schema defines `pattern` as an ECMA-262 regular expression, and the tools that read
our schemas (schemathesis via jsonschema-rs, Prism, browsers) evaluate it that way. Python's
`re` differs on exactly the constructs that decide our field rules: `$` also matches before
a final newline (so `"5\\n"` passed as a duration), `\\s` is `str.isspace` (which counts
U+001C..U+001F and U+0085 but not U+FEFF), `\\d`/`\\w` are Unicode-wide and `.` stops only
at `\\n`. `to_python()` rewrites a pattern so `re` gives the ECMA answer; the schema
loader applies it to every validator it builds, so the mock agrees with those tools.
"""

from __future__ import annotations

from functools import cache
from typing import Any

__all__ = ["ECMA_WHITESPACE", "ecma_patterns", "to_python"]

#: ECMA-262 WhiteSpace and LineTerminator: what `\s` matches (`\S` is everything else).
ECMA_WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_SPACE_CLASS = r"\t-\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
# ECMA `\S` outside a class: what Python's Unicode `\s` calls non-space, minus U+FEFF, plus
# the five characters only Python calls space. Same set as `[^_SPACE_CLASS]`, but `re`
# compiles it in half a millisecond instead of more than one (a 64K-entry bitmap), which
# was most of a process's first validation of a prompt.
_NOT_SPACE = r"(?u:[^\s\ufeff]|[\x1c-\x1f\x85])"
_DOT = r"[^\n\r\u2028\u2029]"


@cache
def to_python(pattern: str) -> str:
    """The `re` pattern that matches exactly what the ECMA-262 `pattern` matches.

    Raises `ValueError` for the few constructs with no faithful rewrite here (`\\S`
    inside a class, ECMA's empty classes `[]` and `[^]`); none of our schemas uses them.
    """
    out: list[str] = ["(?a)"]  # ASCII `\d`, `\w`, `\b`, as in ECMA-262
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            escaped = pattern[i + 1]
            if escaped == "s":
                out.append(_SPACE_CLASS if in_class else f"[{_SPACE_CLASS}]")
            elif escaped == "S":
                if in_class:
                    raise ValueError(f"\\S inside a character class is not supported: {pattern!r}")
                out.append(_NOT_SPACE)
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = char != "]"
            # Escaped so Python never reads them as the start of a nested set or set operation.
            out.append("\\" + char if char in "[&~|" else char)
        elif char == "[":
            start = i + 2 if pattern.startswith("[^", i) else i + 1
            if pattern.startswith("]", start):
                raise ValueError(f"empty character classes mean something else in Python: {pattern!r}")
            in_class = True
            out.append(pattern[i:start])
            i = start
            continue
        elif char == "$":
            out.append(r"\Z")  # end of input only, never before a final newline
        elif char == ".":
            out.append(_DOT)
        elif pattern.startswith("(?<", i) and pattern[i + 3 : i + 4] not in ("=", "!"):
            out.append("(?P<")  # a named group
            i += 3
            continue
        else:
            out.append(char)
        i += 1
    return "".join(out)


def ecma_patterns(schema: Any) -> Any:
    """A copy of `schema` with every `pattern` (and `patternProperties` key) rewritten by `to_python`."""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            result: dict[str, Any] = {}
            for key, value in node.items():
                if key == "pattern" and isinstance(value, str):
                    result[key] = to_python(value)
                elif key == "patternProperties" and isinstance(value, dict):
                    result[key] = {to_python(name): walk(part) for name, part in value.items()}
                else:
                    result[key] = walk(value)
            return result
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(schema)
