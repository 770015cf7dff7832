"""Cuts a reply that arrives in pieces into sentences, so each can be spoken as soon as
it is complete."""

from __future__ import annotations

import re

SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+|\n+")
LONGEST_SENTENCE = 300  # characters; longer runs are cut at a comma or a space
CLAUSE_END = re.compile(r"(?<=[,;:—])\s+")


class SentenceSplitter:
    """`first_clause`: the reply's first clause (at a comma, say) comes out on its own as
    soon as it is complete, so speech can start before the first sentence is finished;
    a clause shorter than `min_clause` characters waits for more."""

    def __init__(self, first_clause: bool = False, min_clause: int = 12) -> None:
        self._pending = ""
        self._first = first_clause
        self._min_clause = min_clause

    def feed(self, text: str) -> list[str]:
        self._pending += text
        sentences: list[str] = []
        if self._first and (clause := self._first_clause()):
            sentences.append(clause)
        while match := SENTENCE_END.search(self._pending):
            sentences.append(self._pending[: match.start()])
            self._pending = self._pending[match.end() :]
        while len(self._pending) > LONGEST_SENTENCE:
            cut = _soft_break(self._pending[:LONGEST_SENTENCE])
            sentences.append(self._pending[:cut])
            self._pending = self._pending[cut:]
        spoken = [s for s in (s.strip() for s in sentences) if _speakable(s)]
        self._first = self._first and not spoken
        return spoken

    def _first_clause(self) -> str | None:
        for match in CLAUSE_END.finditer(self._pending):
            if match.start() >= self._min_clause and not SENTENCE_END.search(
                self._pending[: match.start()]
            ):
                clause = self._pending[: match.start()]
                self._pending = self._pending[match.end() :]
                return clause
        return None

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
