"""Cuts a reply that arrives in pieces into sentences, so each can be spoken as soon as
it is complete."""

from __future__ import annotations

import re

SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+|\n+")
LONGEST_SENTENCE = 300  # characters; longer runs are cut at a comma or a space


class SentenceSplitter:
    def __init__(self) -> None:
        self._pending = ""

    def feed(self, text: str) -> list[str]:
        self._pending += text
        sentences: list[str] = []
        while match := SENTENCE_END.search(self._pending):
            sentences.append(self._pending[: match.start()])
            self._pending = self._pending[match.end() :]
        while len(self._pending) > LONGEST_SENTENCE:
            cut = _soft_break(self._pending[:LONGEST_SENTENCE])
            sentences.append(self._pending[:cut])
            self._pending = self._pending[cut:]
        return [s for s in (s.strip() for s in sentences) if _speakable(s)]

    def flush(self) -> list[str]:
        rest, self._pending = self._pending.strip(), ""
        return [rest] if _speakable(rest) else []


def _soft_break(text: str) -> int:
    for mark in (", ", "; ", " "):
        if (at := text.rfind(mark)) > 0:
            return at + len(mark)
    return len(text)


def _speakable(text: str) -> bool:
    return any(c.isalnum() for c in text)
