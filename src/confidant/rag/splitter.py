"""A diary-aware splitter: entry and paragraph boundaries first, then token-bounded
windows with overlap. Every chunk keeps its source id and date."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class ChunkDraft:
    source_id: str
    day: date
    position: int
    text: str


class DiarySplitter:
    def __init__(
        self, count_tokens: Callable[[str], int], max_tokens: int = 200, overlap_tokens: int = 40
    ) -> None:
        if overlap_tokens >= max_tokens:
            raise ValueError("overlap must be smaller than the chunk size")
        self.count_tokens = count_tokens
        self.max_tokens = max_tokens
        self.overlap_tokens = overlap_tokens

    def split(self, source_id: str, day: date, text: str) -> list[ChunkDraft]:
        paragraphs = [p.strip() for p in PARAGRAPH_BREAK.split(text) if p.strip()]
        pieces: list[str] = []
        current: list[str] = []
        used = 0
        for paragraph in paragraphs:
            size = self.count_tokens(paragraph)
            if size > self.max_tokens:
                pieces += self._flush(current)
                current, used = [], 0
                pieces += self._windows(paragraph)
            elif used + size > self.max_tokens:
                pieces += self._flush(current)
                current, used = [paragraph], size
            else:
                current.append(paragraph)
                used += size
        pieces += self._flush(current)
        return [ChunkDraft(source_id, day, n, piece) for n, piece in enumerate(pieces)]

    @staticmethod
    def _flush(paragraphs: list[str]) -> list[str]:
        return ["\n\n".join(paragraphs)] if paragraphs else []

    def _windows(self, paragraph: str) -> list[str]:
        """A long paragraph as overlapping windows of whole sentences (or of words)."""
        units = SENTENCE_END.split(paragraph)
        sizes = [self.count_tokens(unit) for unit in units]
        if max(sizes) > self.max_tokens:
            units = paragraph.split()
            sizes = [self.count_tokens(unit) for unit in units]
        windows: list[str] = []
        start = 0
        while start < len(units):
            end, used = start, 0
            while end < len(units) and used + sizes[end] <= self.max_tokens:
                used += sizes[end]
                end += 1
            end = max(end, start + 1)
            windows.append(" ".join(units[start:end]))
            if end >= len(units):
                break
            back, overlap = end, 0
            while back - 1 > start and overlap + sizes[back - 1] <= self.overlap_tokens:
                overlap += sizes[back - 1]
                back -= 1
            start = back
        return windows
