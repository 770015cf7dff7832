"""The crisis screen: clinical categories in five languages, the conversation as a whole,
and an optional classifier hook.

**Categories.** Detection is organised by the categories of the Columbia Suicide Severity
Rating Scale (C-SSRS), plus two statements that predict risk:

===============  ==========  ==================================================
category         severity    what is heard
===============  ==========  ==================================================
intent           high        "I'm going to do it tonight"
plan             high        a date, a place, a way picked; a plan made
method           high        pills counted, a bridge, a train, a rope
preparatory      high        goodbye letters, giving things away, a note
active_thoughts  moderate    thinking of suicide, of killing oneself
self_harm        moderate    cutting, burning, hurting oneself
wish_dead        moderate    wishing to be dead, not to wake up, not to live
hopelessness     moderate    nothing will get better, no way out
burden           moderate    they would be better off without me
===============  ==========  ==================================================

**Matching.** Each language has a data file, ``data/crisis_<lang>.json`` (en, es, de, fr,
vi), with the regular expressions of each category, the *benign* spans (figures of
speech, prevention work, news, fiction, grief, medical talk, negations) and the *weak*
cues that only count over several turns. A message is normalised before matching:
casefolded, accents and diacritics stripped (Vietnamese too, so "tôi không muốn sống"
and "toi khong muon song" read alike), apostrophes dropped ("don't" and "dont" read
alike), punctuation other than sentence ends turned to spaces, runs of one letter
shortened ("diiiie" is "die"). Then the benign spans are blanked out and each
category's one combined expression per language is searched, highest severity first.
Patterns are written for the first person and allow a few words in between, typos and
missing apostrophes; macros such as ``{I}`` (a first-person subject) and ``{W}`` (one
optional word) are defined in each file and expanded when it is loaded.

**Whose words.** A match counts only when it is about the writer. Each file lists
``first_person`` and ``third_person`` words, ``object_markers`` and ``context`` phrases.
A match is set aside when its sentence is set in prevention or training work (a helpline,
a volunteer course, warning signs, "if someone says..."), or when the nearest person
named before it in its sentence is someone else ("my cousin says he wants to die") and
the match itself names no first person ("they'd be better off without me" still
counts). A person right after a preposition ("letters for my sister") is no subject
and is skipped; the writer's own possessive ("my", "mi", "mon", "mein") is first person.

**The conversation.** ``screen(text, history)`` takes the person's earlier messages in
this conversation, oldest first, already limited by the caller to the recent window.
A signal in the current text alone always wins. Otherwise the screen scores the turns:
each turn scores ``WEAK_CUE`` (0.6) per weak cue it holds (at most two count), or
``FULL_SIGNAL`` (1.0) if it held a signal of its own; a turn *k* turns back counts
``DECAY ** k`` (0.75 per turn), at most ``WINDOW`` (8) turns back. The current turn has
to hold a weak cue itself; when the decayed sum reaches ``THRESHOLD`` (0.9) the screen
flags with the current cue's category and source ``"conversation"``. So "I gave my
guitar to my brother" (0.6 x 0.75 = 0.45) then "won't be needing my winter coat" (0.6)
flags at the second turn (1.05); two cues still combine two turns apart (0.94), not
three (0.85) or four (0.6 x 0.32 + 0.6 = 0.79). One message with two weak cues (1.2)
flags on its own. An earlier turn that held a signal of its own counts 1.0, so a weak
cue right after a flagged turn flags again (the caller records a signal once a turn).

**Superseded patterns.** A file's ``superseded`` lists, by category, patterns that flag
only when the screen has no classifier or its classifier fails: on the fifteen writers'
files (``bench/data/crisis_eval/extra``, with the classifier trained without the writer
it was asked about) the classifier heard every crisis message each of them caught, while
each alone raised three or more false alarms ("ya no puedo más con la plancha", "me
muero de hambre"). Only moderate categories, never the explicit words for suicide.

**The classifier** (``CrisisScreen.classifier``, the semantic layer of
``safety/semantic.py`` in the service) judges every message with its earlier turns. It is
asked only when the phrases hear nothing, so help for what they hear never waits on a
model, and a classifier that fails leaves the phrases to screen alone. It
flags what the phrases miss, with its own category. It never sets a phrase match aside:
it is least sure of short messages in the languages it has seen least ("tôi không muốn
sống nữa" scores 0.23), which are exactly the ones the phrases hear best.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal, Protocol

from confidant.safety.digests import DigestCache

logger = logging.getLogger(__name__)

Severity = Literal["high", "moderate"]

LANGUAGES = ("en", "es", "de", "fr", "vi")
HIGH: tuple[str, ...] = ("intent", "plan", "method", "preparatory")
MODERATE: tuple[str, ...] = (
    "active_thoughts",
    "self_harm",
    "wish_dead",
    "burden",
    "hopelessness",
)
CATEGORIES: tuple[str, ...] = HIGH + MODERATE  # the order in which they are tried

CACHED_READINGS = 2048  # the conversation's turns are read again with each new message

# The conversation: see the module docstring.
WINDOW = 8
DECAY = 0.75
WEAK_CUE = 0.6
FULL_SIGNAL = 1.0
THRESHOLD = 0.9


def severity_of(category: str) -> Severity:
    """High for intent, plan, method and preparatory acts; moderate for the rest
    (a classifier's own label too)."""
    return "high" if category in HIGH else "moderate"


@dataclass(frozen=True)
class CrisisSignal:
    category: str  # one of CATEGORIES, or a classifier's own label
    severity: Severity
    source: str = "phrases"  # "phrases" | "classifier" | "conversation"
    language: str | None = None  # the language the signal was heard in, when known


@dataclass(frozen=True)
class Judgement:
    """A classifier's reading of a message in its conversation."""

    category: str  # the category it would flag, one of CATEGORIES ('' when it does not)
    crisis: bool  # it flags the message


class CrisisClassifier(Protocol):
    """A model that hears what the phrase lists miss (see safety/semantic.py)."""

    def judge(self, text: str, earlier: Sequence[str] = ()) -> Judgement: ...

    def preload(self) -> None: ...

    def prime(self, text: str) -> None: ...


_APOSTROPHES = str.maketrans({"\u2019": "", "\u2018": "", "'": "", "`": "", "\u00b4": ""})
_PUNCTUATION = re.compile(r"[^\w\s.!?;]+|_")
_SENTENCE_END = re.compile(r"[.!?;]+")
_RUNS = re.compile(r"(\w)\1{2,}")
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Casefold, strip accents and diacritics, drop apostrophes, keep sentence ends as
    ' . ' tokens, shorten letter runs, collapse spaces."""
    folded = text.casefold().replace("\u0111", "d").translate(_APOSTROPHES)
    stripped = "".join(
        c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c)
    )
    stripped = _PUNCTUATION.sub(" ", stripped)
    stripped = _SENTENCE_END.sub(" . ", stripped)
    stripped = _RUNS.sub(r"\1", stripped)
    return " " + _SPACES.sub(" ", stripped).strip() + " "


@dataclass(frozen=True)
class _Language:
    code: str
    benign: re.Pattern[str] | None
    categories: tuple[tuple[str, re.Pattern[str]], ...]
    superseded: tuple[tuple[str, re.Pattern[str]], ...]  # see the module docstring
    weak: tuple[tuple[str, re.Pattern[str]], ...]
    no_local_line: str | None
    person: re.Pattern[str] | None = None  # groups "third" and "first"
    first: re.Pattern[str] | None = None
    context: re.Pattern[str] | None = None
    objects: frozenset[str] = frozenset()  # words after which a person is no subject


_MACRO = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")


def _expand(pattern: str, macros: Mapping[str, str]) -> str:
    for _ in range(8):
        expanded = _MACRO.sub(lambda m: macros.get(m.group(1), m.group(0)), pattern)
        if expanded == pattern:
            return expanded
        pattern = expanded
    raise ValueError(f"crisis patterns: macros nest too deep in {pattern!r}")


def _combine(patterns: Sequence[str], macros: Mapping[str, str]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{_expand(p, macros)})" for p in patterns))


def _compile_language(code: str, data: Mapping[str, object]) -> _Language:
    macros = {str(k): str(v) for k, v in _mapping(data.get("macros")).items()}
    categories = _compile_categories(code, data.get("categories"), macros)
    superseded = _compile_categories(code, data.get("superseded"), macros)
    weak = []
    for category, patterns in _mapping(data.get("weak")).items():
        if (compiled := _combine(_strings(patterns), macros)) is not None:
            weak.append((category, compiled))
    notice = data.get("no_local_line")
    first = _words([_expand(p, macros) for p in _strings(data.get("first_person"))])
    third = _words([_expand(p, macros) for p in _strings(data.get("third_person"))])
    return _Language(
        code=code,
        benign=_combine(_strings(data.get("benign")), macros),
        categories=categories,
        superseded=superseded,
        weak=tuple(weak),
        no_local_line=notice if isinstance(notice, str) else None,
        person=_people(third, first),
        first=first,
        context=_words([_expand(p, macros) for p in _strings(data.get("context"))]),
        objects=frozenset(_strings(data.get("object_markers"))),
    )


def _compile_categories(
    code: str, listed: object, macros: Mapping[str, str]
) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Each category's patterns as one expression, highest severity first."""
    categories = []
    for category, patterns in _mapping(listed).items():
        if category not in CATEGORIES:
            raise ValueError(f"crisis_{code}.json: unknown category {category!r}")
        if (compiled := _combine(_strings(patterns), macros)) is not None:
            categories.append((category, compiled))
    categories.sort(key=lambda item: CATEGORIES.index(item[0]))
    return tuple(categories)


def _people(third: re.Pattern[str] | None, first: re.Pattern[str] | None) -> re.Pattern[str] | None:
    if third is None or first is None:
        return None
    return re.compile(f"(?P<third>{third.pattern})|(?P<first>{first.pattern})")


def _words(patterns: Sequence[str]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in patterns) + r")\b")


@dataclass(frozen=True)
class _Reading:
    """What one message holds: its own signal, or the weak cues heard in it."""

    signal: tuple[str, str] | None  # (category, language)
    cues: tuple[tuple[str, str], ...]  # (category, language) per weak cue
    superseded: tuple[str, str] | None = None  # a superseded pattern's (category, language)


class CrisisScreen:
    def __init__(
        self,
        phrases: Mapping[str, object],
        resources_by_locale: Mapping[str, str],
        classifier: CrisisClassifier | None = None,
    ) -> None:
        """`phrases`: language code -> that language's data (see the module docstring)."""
        self._languages = tuple(
            _compile_language(code, _mapping(data))
            for code, data in phrases.items()
            if not code.startswith("_")
        )
        self._resources = dict(resources_by_locale)
        self.classifier = classifier
        self._readings: DigestCache[_Reading] = DigestCache(CACHED_READINGS)

    def screen(self, text: str, history: Sequence[str] = ()) -> CrisisSignal | None:
        """The signal in `text`, or in `text` read with the person's earlier messages
        (`history`, oldest first); None when there is none."""
        return self.phrases_signal(text, history) or self.classifier_signal(text, history)

    def phrases_signal(self, text: str, history: Sequence[str] = ()) -> CrisisSignal | None:
        """What the phrases hear, in the message or as cues adding up over the turns:
        a millisecond, so help for it never waits on the classifier."""
        reading = self._read(text)
        if reading.signal is not None:
            return _signal(reading.signal, "phrases")
        if reading.superseded is not None and self.classifier is None:
            return _signal(reading.superseded, "phrases")
        if reading.cues:
            return self._conversation(reading, history)
        return None

    def classifier_signal(self, text: str, history: Sequence[str] = ()) -> CrisisSignal | None:
        """What the classifier hears (tens of milliseconds); None without one. When it
        fails, the patterns it supersedes screen in its place."""
        if self.classifier is None:
            return None
        judged = self._judge(self.classifier, text, self._since_last_signal(history))
        if judged is None:
            superseded = self._read(text).superseded
            return _signal(superseded, "phrases") if superseded is not None else None
        if not judged.crisis:
            return None
        category = judged.category
        return CrisisSignal(category, severity_of(category), "classifier", detect_language(text))

    def _since_last_signal(self, history: Sequence[str]) -> Sequence[str]:
        """The turns after the last one the phrases flagged: the classifier's window is
        for risk that shows only across turns, not for a signal already answered."""
        for index in range(len(history) - 1, max(-1, len(history) - WINDOW - 1), -1):
            if self._read(history[index]).signal is not None:
                return history[index + 1 :]
        return history

    def _judge(
        self, classifier: CrisisClassifier, text: str, history: Sequence[str]
    ) -> Judgement | None:
        """The classifier's reading; None when it fails."""
        try:
            return classifier.judge(text, history)
        except Exception:
            logger.exception("the crisis classifier failed; the phrases screen alone")
            return None

    def preload(self) -> None:
        if self.classifier is not None:
            self.classifier.preload()

    def prime(self, text: str) -> None:
        """Start the classifier on `text` before it is screened; never raises."""
        if self.classifier is not None:
            try:
                self.classifier.prime(text)
            except Exception:
                logger.exception("the crisis classifier failed to prime")

    def _conversation(self, current: _Reading, history: Sequence[str]) -> CrisisSignal | None:
        score = _turn_score(current)
        if len(history) == 0 and score + 1e-9 < THRESHOLD:
            return None
        for distance, earlier in enumerate(reversed(history[-WINDOW:]), start=1):
            score += _turn_score(self._read(earlier)) * DECAY**distance
        if score + 1e-9 < THRESHOLD:
            return None
        category, language = min(current.cues, key=lambda cue: CATEGORIES.index(cue[0]))
        return CrisisSignal(category, severity_of(category), "conversation", language)

    def _read(self, text: str) -> _Reading:
        (reading,) = self._readings.get([text], lambda texts: [self._read_uncached(texts[0])])
        return reading

    def _read_uncached(self, text: str) -> _Reading:
        normal = normalise(text)
        cleaned = {
            language.code: (
                language.benign.sub(" ~ ", normal) if language.benign is not None else normal
            )
            for language in self._languages
        }
        signal = self._first_heard(cleaned, superseded=False)
        if signal is not None:
            return _Reading(signal, ())
        cues = []
        for language in self._languages:
            for category, pattern in language.weak:
                cues += [(category, language.code)] * len(
                    pattern.findall(cleaned[language.code])[:2]
                )
        return _Reading(None, tuple(cues[:2]), self._first_heard(cleaned, superseded=True))

    def _first_heard(self, cleaned: Mapping[str, str], superseded: bool) -> tuple[str, str] | None:
        """The (category, language) of the most severe match about the writer."""
        best: tuple[int, str, str] | None = None
        for language in self._languages:
            for category, pattern in language.superseded if superseded else language.categories:
                rank = CATEGORIES.index(category)
                if best is not None and rank >= best[0]:
                    break
                if any(
                    _about_the_writer(language, cleaned[language.code], match)
                    for match in pattern.finditer(cleaned[language.code])
                ):
                    best = (rank, category, language.code)
                    break
        return (best[1], best[2]) if best is not None else None

    def resources_for(self, locale: str | None, text_language: str | None = None) -> str:
        """Resources for `en-GB`, else for `en`, else the international default. With
        `text_language` other than the preferred locale's language, those of the text's
        language follow. A language without a verified local line gets the international
        resources, said so in that language; no number is ever made up."""
        preferred = self._lookup(locale)
        if not text_language or _base(text_language) == _base(locale or ""):
            return preferred
        other = self._lookup(text_language)
        if other == preferred:
            return preferred
        default = self._resources["default"]
        if preferred.endswith(default) and other.endswith(default) and other != default:
            other = other[: -len(default)].rstrip()  # the notice alone: no default twice
        return f"{preferred}\n\n{other}"

    def _lookup(self, locale: str | None) -> str:
        for candidate in (locale, _base(locale or "")):
            if candidate and candidate in self._resources:
                return self._resources[candidate]
        base = _base(locale or "")
        for language in self._languages:
            if language.code == base and language.no_local_line:
                return f"{language.no_local_line}\n\n{self._resources['default']}"
        return self._resources["default"]

    @classmethod
    def from_files(
        cls, resources_file: Path | None = None, classifier: CrisisClassifier | None = None
    ) -> CrisisScreen:
        data = resources.files("confidant.safety") / "data"
        phrases = {
            code: json.loads((data / f"crisis_{code}.json").read_text(encoding="utf-8"))
            for code in LANGUAGES
        }
        resource_text = (
            resources_file.read_text(encoding="utf-8")
            if resources_file
            else (data / "crisis_resources.json").read_text(encoding="utf-8")
        )
        by_locale = json.loads(resource_text)
        if "default" not in by_locale:
            raise ValueError("the crisis resources file needs a 'default' entry")
        return cls(phrases, by_locale, classifier)


# Words that may stand between a preposition and the person it governs ("for my sister").
_DETERMINERS = frozenset(
    "my the a an his her our their mi mis su sus el la los las un una mon ma mes son sa ses "
    "le les mein meine meinem meiner meinen der die dem den seiner seinem ihrer ihrem".split()
)


def _about_the_writer(language: _Language, text: str, match: re.Match[str]) -> bool:
    """False when the match is someone else's: said in a sentence set in prevention or
    training work, or with a third-person subject nearer before it than any first person
    and no first person in the match itself. A person right after a preposition ("for my
    sister") is no subject and does not count."""
    start = text.rfind(" . ", 0, match.start()) + 1
    end = text.find(" . ", match.end())
    sentence = text[start : end if end >= 0 else len(text)]
    if language.context is not None and language.context.search(sentence):
        return False
    if language.first is not None and language.first.search(match.group(0)):
        return True
    if language.person is None:
        return True
    last = None
    for found in language.person.finditer(text, start):
        if found.end() > match.start():
            break
        before = text[max(start, found.start() - 24) : found.start()].split()[-2:]
        governed = bool(before) and (
            before[-1] in language.objects
            or (len(before) == 2 and before[-1] in _DETERMINERS and before[0] in language.objects)
        )
        if found.lastgroup == "third" and governed:
            continue
        last = found
    return last is None or last.lastgroup != "third"


def _signal(heard: tuple[str, str], source: str) -> CrisisSignal:
    category, language = heard
    return CrisisSignal(category, severity_of(category), source, language)


def _turn_score(reading: _Reading) -> float:
    if reading.signal is not None:
        return FULL_SIGNAL
    return WEAK_CUE * len(reading.cues)


def _base(locale: str) -> str:
    return locale.replace("_", "-").split("-")[0].lower()


# detect_language: stopwords (on the normalised text) and letters only one language has.
_STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "i im ive the and to of is it my me you that this was not dont cant with have "
        "just be so what for want its at are all like about but do anymore feel".split()
    ),
    "es": frozenset(
        "yo que el la los las de y en un una no mi me es por con para lo se ya mas "
        "pero como estoy todo quiero muy porque esta nada".split()
    ),
    "de": frozenset(
        "ich und nicht der die das ist es mich mir mein ein eine zu ja auch mehr "
        "bin habe wie was noch nur so dass kann will aber einfach".split()
    ),
    "fr": frozenset(
        "je et le la les de des un une ne pas plus est mon ma mes moi que qui en "
        "suis jai cest ce pour tout avec au du rien vraiment".split()
    ),
    "vi": frozenset(
        "toi khong la va cua minh co nhung mot cai nay duoc nua em anh roi gi "
        "voi cho den se da dang thi nguoi muon lam".split()
    ),
}
_MARKS = {
    "vi": re.compile(r"[ăơưđạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]"),
    "de": re.compile(r"[äöüß]"),
    "es": re.compile(r"[ñ¿¡]"),
    "fr": re.compile(r"[çœèêëîïûù]"),
}
_WORD = re.compile(r"[a-z]+")


def detect_language(text: str) -> str | None:
    """en, es, de, fr or vi by stopwords and telling letters; None when unsure."""
    lower = text.casefold()
    scores = {code: 0.0 for code in _STOPWORDS}
    for code, marks in _MARKS.items():
        scores[code] += 2.0 * min(len(marks.findall(lower)), 3)
    for word in _WORD.findall(normalise(text)):
        for code, words in _STOPWORDS.items():
            if word in words:
                scores[code] += 1.0
    best = max(scores, key=lambda code: scores[code])
    ranked = sorted(scores.values(), reverse=True)
    if ranked[0] < 1.0 or ranked[0] == ranked[1]:
        return None
    return best


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, dict) else {}


def _strings(value: object) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []
