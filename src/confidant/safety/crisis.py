"""The crisis screen: phrase lists (a data file) plus an optional classifier hook."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal, Protocol

Severity = Literal["high", "moderate"]


@dataclass(frozen=True)
class CrisisSignal:
    category: str  # "suicide" | "self_harm" | a classifier's own label
    severity: Severity
    source: str  # "phrases" | "classifier"
    language: str | None = None


class CrisisClassifier(Protocol):
    """A model that flags what the phrase lists miss; returns a category or None."""

    def __call__(self, text: str) -> str | None: ...


class CrisisScreen:
    def __init__(
        self,
        phrases: dict[str, object],
        resources_by_locale: dict[str, str],
        classifier: CrisisClassifier | None = None,
    ) -> None:
        self._benign = [re.compile(p, re.IGNORECASE) for p in _strings(phrases.get("benign"))]
        self._patterns: list[tuple[str, re.Pattern[str]]] = []
        for language, categories in phrases.items():
            if language.startswith("_") or language == "benign" or not isinstance(categories, dict):
                continue
            for category, patterns in categories.items():
                self._patterns += [(category, re.compile(p, re.IGNORECASE)) for p in patterns]
        self._resources = resources_by_locale
        self.classifier = classifier

    def screen(self, text: str, history: Sequence[str] = ()) -> CrisisSignal | None:
        cleaned = text.replace("\u2019", "'")
        for benign in self._benign:
            cleaned = benign.sub(" ", cleaned)
        for category, pattern in self._patterns:
            if pattern.search(cleaned):
                return CrisisSignal(category, "high", "phrases")
        if self.classifier is not None and (label := self.classifier(text)):
            return CrisisSignal(label, "high", "classifier")
        return None

    def resources_for(self, locale: str | None, text_language: str | None = None) -> str:
        """Resources for `en-GB`, else for `en`, else the international default."""
        for candidate in (locale, (locale or "").split("-")[0]):
            if candidate and candidate in self._resources:
                return self._resources[candidate]
        return self._resources["default"]

    @classmethod
    def from_files(cls, resources_file: Path | None = None) -> CrisisScreen:
        data = resources.files("confidant.safety") / "data"
        phrases = json.loads((data / "crisis_phrases.json").read_text())
        resource_text = (
            resources_file.read_text()
            if resources_file
            else (data / "crisis_resources.json").read_text()
        )
        by_locale = json.loads(resource_text)
        if "default" not in by_locale:
            raise ValueError("the crisis resources file needs a 'default' entry")
        return cls(phrases, by_locale)


def _strings(value: object) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def detect_language(text: str) -> str | None:
    return None
