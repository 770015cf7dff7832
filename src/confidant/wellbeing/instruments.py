"""The questionnaires (PHQ-9, GAD-7, WHO-5) and their published scoring rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from confidant.kit.errors import InvalidInput

Better = Literal["lower", "higher"]


@dataclass(frozen=True)
class Option:
    value: int
    label: str


@dataclass(frozen=True)
class Band:
    low: int  # inclusive, on the instrument's reported scale
    high: int
    severity: str


@dataclass(frozen=True)
class Instrument:
    id: str
    title: str
    prompt: str
    items: tuple[str, ...]
    options: tuple[Option, ...]
    bands: tuple[Band, ...]
    better: Better
    multiplier: int = 1  # WHO-5 reports its raw score ×4, as a percentage
    flag_at_or_below: int | None = None  # WHO-5: ≤ 50 is poor wellbeing

    @property
    def max_score(self) -> int:
        return len(self.items) * max(o.value for o in self.options) * self.multiplier


@dataclass(frozen=True)
class Result:
    score: int
    max_score: int
    severity: str
    flagged: bool


FREQUENCY = (
    Option(0, "Not at all"),
    Option(1, "Several days"),
    Option(2, "More than half the days"),
    Option(3, "Nearly every day"),
)

PHQ9 = Instrument(
    id="phq-9",
    title="PHQ-9 (depression)",
    prompt=(
        "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
    ),
    items=(
        "Little interest or pleasure in doing things",
        "Feeling down, depressed, or hopeless",
        "Trouble falling or staying asleep, or sleeping too much",
        "Feeling tired or having little energy",
        "Poor appetite or overeating",
        "Feeling bad about yourself, or that you are a failure or have let yourself or "
        "your family down",
        "Trouble concentrating on things, such as reading the newspaper or watching television",
        "Moving or speaking so slowly that other people could have noticed, or the opposite: "
        "being so fidgety or restless that you have been moving around a lot more than usual",
        "Thoughts that you would be better off dead, or of hurting yourself in some way",
    ),
    options=FREQUENCY,
    bands=(
        Band(0, 4, "minimal"),
        Band(5, 9, "mild"),
        Band(10, 14, "moderate"),
        Band(15, 19, "moderately severe"),
        Band(20, 27, "severe"),
    ),
    better="lower",
)
PHQ9_SELF_HARM_ITEM = 8  # item 9, zero-based: any answer above 0 starts the crisis flow

GAD7 = Instrument(
    id="gad-7",
    title="GAD-7 (anxiety)",
    prompt="Over the last 2 weeks, how often have you been bothered by the following problems?",
    items=(
        "Feeling nervous, anxious, or on edge",
        "Not being able to stop or control worrying",
        "Worrying too much about different things",
        "Trouble relaxing",
        "Being so restless that it is hard to sit still",
        "Becoming easily annoyed or irritable",
        "Feeling afraid, as if something awful might happen",
    ),
    options=FREQUENCY,
    bands=(
        Band(0, 4, "minimal"),
        Band(5, 9, "mild"),
        Band(10, 14, "moderate"),
        Band(15, 21, "severe"),
    ),
    better="lower",
)

WHO5 = Instrument(
    id="who-5",
    title="WHO-5 (wellbeing)",
    prompt="Over the last 2 weeks, how much of the time has each statement been true for you?",
    items=(
        "I have felt cheerful and in good spirits",
        "I have felt calm and relaxed",
        "I have felt active and vigorous",
        "I woke up feeling fresh and rested",
        "My daily life has been filled with things that interest me",
    ),
    options=(
        Option(5, "All of the time"),
        Option(4, "Most of the time"),
        Option(3, "More than half of the time"),
        Option(2, "Less than half of the time"),
        Option(1, "Some of the time"),
        Option(0, "At no time"),
    ),
    bands=(Band(0, 50, "poor wellbeing"), Band(51, 100, "good wellbeing")),
    better="higher",
    multiplier=4,
    flag_at_or_below=50,
)

INSTRUMENTS = {instrument.id: instrument for instrument in (PHQ9, GAD7, WHO5)}


def score(instrument: Instrument, answers: list[int]) -> Result:
    """Score complete, in-range answers (one per item, in order) by the published rules."""
    _check(instrument, answers)
    total = sum(answers) * instrument.multiplier
    severity = next(b.severity for b in instrument.bands if b.low <= total <= b.high)
    flagged = (
        instrument.flag_at_or_below is not None and total <= instrument.flag_at_or_below
    ) or (instrument.better == "lower" and total >= 10)
    return Result(total, instrument.max_score, severity, flagged)


def _check(instrument: Instrument, answers: list[int]) -> None:
    allowed = {o.value for o in instrument.options}
    problems = [
        {"field": f"answers.{i}", "message": f"must be one of {sorted(allowed)}"}
        for i, answer in enumerate(answers)
        if answer not in allowed
    ]
    if len(answers) != len(instrument.items):
        problems.insert(
            0,
            {"field": "answers", "message": f"needs exactly {len(instrument.items)} answers"},
        )
    if problems:
        raise InvalidInput(f"Answers do not fit {instrument.title}", details=problems)
