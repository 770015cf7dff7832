"""Reading old diaries: plain text or Markdown with dated headings, or a JSON export.

JSON export format (also what GET /api/diary returns, item for item):
    {"entries": [{"date": "2025-03-04", "text": "...", "mood": 7, "tags": ["work"]}]}
or the bare list. In text and Markdown, a line that is (or is a heading with) a date starts
a new entry: "# 2025-03-04", "## March 4, 2025", "4 March 2025:", "2025/03/04". Text before
the first dated line, or a file with no dates at all, becomes one entry dated today.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from pydantic import TypeAdapter, ValidationError

from confidant.diary.schemas import MAX_ENTRY_CHARS, EntryCreate
from confidant.kit import jsonsafe
from confidant.kit.dates import MONTHS
from confidant.kit.errors import InvalidInput, UnsupportedMediaType

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
JSON_SUFFIXES = {".json"}
MONTH_WORDS = "|".join(sorted(MONTHS, key=len, reverse=True))
HEADING = re.compile(r"^\s{0,3}(?:#{1,6}\s*)?(?P<date>.+?)\s*:?\s*$")
DATE_FORMS = [
    re.compile(r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})$"),
    re.compile(
        rf"^(?:\w+day,?\s+)?(?P<mon>{MONTH_WORDS})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})$",
        re.I,
    ),
    re.compile(
        rf"^(?:\w+day,?\s+)?(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<mon>{MONTH_WORDS})\.?,?\s+(?P<y>\d{{4}})$",
        re.I,
    ),
]


@dataclass(frozen=True)
class ParsedEntry:
    day: date
    text: str


def heading_date(line: str) -> date | None:
    heading = HEADING.match(line)
    if heading is None or len(line) > 60:
        return None
    candidate = heading["date"].strip()
    for form in DATE_FORMS:
        if match := form.match(candidate):
            parts = match.groupdict()
            month = int(parts["m"]) if parts.get("m") else MONTHS[parts["mon"].lower()]
            try:
                return date(int(parts["y"]), month, int(parts["d"]))
            except ValueError:
                return None
    return None


def decode_text(raw: bytes) -> str:
    if b"\x00" in raw:
        raise UnsupportedMediaType("This looks like a binary file; send .txt, .md or .json")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnsupportedMediaType("The file is not UTF-8 text; send .txt, .md or .json") from exc


def parse_text(text: str, today: date) -> list[ParsedEntry]:
    entries: list[ParsedEntry] = []
    day, lines = today, []
    for line in text.splitlines():
        found = heading_date(line)
        if found is None:
            lines.append(line)
            continue
        entries += _entry(day, lines)
        day, lines = found, []
    entries += _entry(day, lines)
    return entries


def _entry(day: date, lines: list[str]) -> list[ParsedEntry]:
    text = "\n".join(lines).strip()
    if not text:
        return []
    return [
        ParsedEntry(day, text[i : i + MAX_ENTRY_CHARS])
        for i in range(0, len(text), MAX_ENTRY_CHARS)
    ]


def parse_json(text: str) -> list[EntryCreate]:
    try:
        document = jsonsafe.loads(text)
    except jsonsafe.TooDeeplyNested as exc:
        raise InvalidInput(f"The JSON export is {exc}") from exc
    except ValueError as exc:
        raise InvalidInput("The JSON export is not valid JSON") from exc
    items = document.get("entries") if isinstance(document, dict) else document
    try:
        return TypeAdapter(list[EntryCreate]).validate_python(items)
    except ValidationError as exc:
        fields = [
            {"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()
        ]
        raise InvalidInput(
            "The JSON export does not match the documented format", details=fields[:20]
        ) from exc


def parse_upload(filename: str, raw: bytes, today: date) -> list[EntryCreate]:
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix not in TEXT_SUFFIXES | JSON_SUFFIXES:
        raise UnsupportedMediaType("Import .txt, .md or a .json export")
    text = decode_text(raw)
    if suffix in JSON_SUFFIXES:
        return parse_json(text)
    return [EntryCreate(date=e.day, text=e.text) for e in parse_text(text, today)]
