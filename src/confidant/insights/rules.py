"""Today's prompt and activity suggestions, chosen by rules from how the user has been.

The signals: the mean mood of the last 7 days and of the 7 before; the latest PHQ-9,
GAD-7 and WHO-5 of the last 14 days; this week's habit rate; days since the last
mindfulness session; last night's sleep from a wearable.

The prompt's theme is the first that applies:
  support   PHQ-9 item 9 answered above 0 in the last 14 days
  low       7-day mood 4 or below, or PHQ-9 10 or more, or WHO-5 50 or below
  anxious   GAD-7 10 or more
  dipping   7-day mood at least 1.5 below the week before
  rising    7-day mood at least 1 above the week before
  starting  nothing logged in the last 14 days
  steady    otherwise
Within a theme the prompt is picked by the user and the date, so it holds all day and
changes the next.

Suggestions (at most three, in this order of priority): a wind-down routine after
under 6 h of sleep; box breathing when anxious; a short walk outside and reaching out
to someone when low or dipping; a mindfulness session after 3 or more days without
one; the habit checked in least this week when the habit rate is under 50%; otherwise
a three-good-things note and a breathing exercise.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

SLEEP_SHORT_MINUTES = 6 * 60
LOW_MOOD = 4.0
DIP = 1.5
RISE = 1.0
SESSION_GAP_DAYS = 3
LOW_HABIT_RATE = 50
MAX_SUGGESTIONS = 3

PROMPTS: dict[str, tuple[str, ...]] = {
    "support": (
        "You don't have to carry this alone. Who is one person you could let in today, "
        "even a little?",
        "What has helped you get through a hard moment before, however small?",
    ),
    "low": (
        "What is one small, kind thing you could do for yourself in the next hour?",
        "When did you last feel a little lighter? What was different then?",
        "What would you say to a friend who felt the way you feel today?",
    ),
    "anxious": (
        "What is on your mind right now? Write it down, then circle what you can act on today.",
        "Name five things you can see and three you can hear. How does your body feel now?",
        "What is one worry you can set aside until tomorrow?",
    ),
    "dipping": (
        "This week seems heavier than the last. What changed, and what do you need more of?",
        "What drained your energy this week, and what gave some back?",
    ),
    "rising": (
        "Your week looks brighter. What has been helping, and how can you keep it going?",
        "What are you proud of from the last few days?",
    ),
    "starting": (
        "How are you, honestly, today? A word or two is enough to begin.",
        "What would you like to feel more of this month?",
    ),
    "steady": (
        "What is one small thing you can do today that would bring you a moment of joy?",
        "What are three good things from yesterday, however small?",
        "Who made your week a little better, and have you told them?",
    ),
}


@dataclass(frozen=True)
class Signals:
    mood_7d: float | None
    mood_prev_7d: float | None
    phq9: int | None
    phq9_self_harm: bool
    gad7: int | None
    who5: int | None
    habit_rate: int | None
    least_done_habit: str | None
    days_since_session: int | None
    sleep_minutes: int | None
    logged_recently: bool


@dataclass(frozen=True)
class Activity:
    title: str
    details: str
    reason: str


def theme(s: Signals) -> str:
    change = (
        s.mood_7d - s.mood_prev_7d if s.mood_7d is not None and s.mood_prev_7d is not None else None
    )
    if s.phq9_self_harm:
        return "support"
    if (
        (s.mood_7d is not None and s.mood_7d <= LOW_MOOD)
        or (s.phq9 is not None and s.phq9 >= 10)
        or (s.who5 is not None and s.who5 <= 50)
    ):
        return "low"
    if s.gad7 is not None and s.gad7 >= 10:
        return "anxious"
    if change is not None and change <= -DIP:
        return "dipping"
    if change is not None and change >= RISE:
        return "rising"
    if not s.logged_recently:
        return "starting"
    return "steady"


def prompt_for(category: str, user_id: str, today: date) -> str:
    choices = PROMPTS[category]
    digest = hashlib.sha256(f"{user_id}:{today.isoformat()}".encode()).digest()
    return choices[int.from_bytes(digest[:4], "big") % len(choices)]


def suggestions(s: Signals, category: str) -> list[Activity]:
    found: list[Activity] = []
    if s.sleep_minutes is not None and s.sleep_minutes < SLEEP_SHORT_MINUTES:
        hours, minutes = divmod(s.sleep_minutes, 60)
        found.append(
            Activity(
                "Wind-down routine",
                "20 min, screens off",
                f"you slept {hours} h {minutes} min last night",
            )
        )
    if category == "anxious":
        found.append(Activity("Box breathing", "5 min", "your latest GAD-7 was 10 or more"))
    if category in ("low", "dipping", "support"):
        found.append(Activity("Short walk outside", "10 min", "movement and daylight lift mood"))
        found.append(
            Activity("Reach out to someone", "a message or a call", "you don't have to do it alone")
        )
    if s.days_since_session is None or s.days_since_session >= SESSION_GAP_DAYS:
        found.append(Activity("Mindfulness session", "10 min", _session_reason(s)))
    if s.habit_rate is not None and s.habit_rate < LOW_HABIT_RATE and s.least_done_habit:
        found.append(
            Activity(
                f"Check in: {s.least_done_habit}",
                "today",
                f"your habits are at {s.habit_rate}% this week",
            )
        )
    found += [
        Activity("Three good things", "3 min", "noticing good moments builds them up"),
        Activity("Breathing Exercise", "5 min", "a calm start or a reset"),
    ]
    return _unique(found)[:MAX_SUGGESTIONS]


def _session_reason(s: Signals) -> str:
    if s.days_since_session is None:
        return "you have not tried a session yet"
    return f"your last session was {s.days_since_session} days ago"


def _unique(activities: list[Activity]) -> list[Activity]:
    seen: set[str] = set()
    kept = []
    for activity in activities:
        if activity.title not in seen:
            seen.add(activity.title)
            kept.append(activity)
    return kept
