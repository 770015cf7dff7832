"""JSON from outside, refused when nested deeper than a fixed limit before any parser runs.

The parsers recurse once per level: a small body of a hundred thousand `[` exhausts the
C stack when something raised the interpreter's recursion limit, and the recursion limit
otherwise. No document we accept needs more than a few levels.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_JSON_DEPTH = 64

# A JSON string, escapes included: brackets inside strings do not nest anything.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
_INNERMOST_PAIR = re.compile(rb"\[\]|\{\}")


class TooDeeplyNested(ValueError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"JSON is nested deeper than {limit} levels")
        self.limit = limit


def nested_deeper_than(data: bytes | str, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when `data`, read as JSON, opens more than `limit` arrays or objects inside one
    another. Malformed input that is not deep is left for the parser to refuse."""
    raw = data.encode() if isinstance(data, str) else data
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    # Each pass removes every innermost pair, so one level of the deepest nesting.
    for _ in range(limit):
        brackets, removed = _INNERMOST_PAIR.subn(b"", brackets)
        if not brackets or not removed:
            return False
    return True


def loads(data: bytes | str, limit: int = MAX_JSON_DEPTH) -> Any:
    """`json.loads`, after refusing input nested deeper than `limit`."""
    if nested_deeper_than(data, limit):
        raise TooDeeplyNested(limit)
    return json.loads(data)
