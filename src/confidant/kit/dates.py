"""Dates from plain phrases ("yesterday", "last week", "in March", "last 3 days"),
resolved against today's date in the user's time zone."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): n for n, name in enumerate(calendar.month_abbr) if name})
WEEKDAYS = {name.lower(): n for n, name in enumerate(calendar.day_name)}
MONTH_WORDS = "|".join(sorted(MONTHS, key=len, reverse=True))

ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
MONTH_DAY = re.compile(
    rf"\b(?:on\s+)?({MONTH_WORDS})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?\b", re.I
)
MONTH_YEAR = re.compile(rf"\b({MONTH_WORDS})\s+(\d{{4}})\b", re.I)
IN_MONTH = re.compile(
    rf"\b(?:in|during|since|of|from|for)\s+({MONTH_WORDS})\b(?:\s+(\d{{4}}))?", re.I
)
LAST_N = re.compile(r"\b(?:last|past|previous)\s+(\d{1,3})\s+(day|week|month)s?\b", re.I)
LAST_WEEKDAY = re.compile(r"\blast\s+(" + "|".join(WEEKDAYS) + r")\b", re.I)
RELATIVE = re.compile(
    r"\b(today|yesterday|this week|last week|past week|this month|last month|"
    r"this year|last year)\b",
    re.I,
)


@dataclass(frozen=True)
class DateRange:
    since: date | None
    until: date | None


def month_range(year: int, month: int) -> DateRange:
    return DateRange(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))


def _months_back(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _relative(phrase: str, today: date) -> DateRange:
    monday = today - timedelta(days=today.weekday())
    first = today.replace(day=1)
    previous_month_end = first - timedelta(days=1)
    ranges = {
        "today": DateRange(today, today),
        "yesterday": DateRange(today - timedelta(days=1), today - timedelta(days=1)),
        "this week": DateRange(monday, today),
        "last week": DateRange(monday - timedelta(days=7), monday - timedelta(days=1)),
        "past week": DateRange(today - timedelta(days=7), today),
        "this month": DateRange(first, today),
        "last month": month_range(previous_month_end.year, previous_month_end.month),
        "this year": DateRange(date(today.year, 1, 1), today),
        "last year": DateRange(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)),
    }
    return ranges[phrase.lower()]


def resolve(text: str, today: date) -> DateRange | None:
    """The date range a question refers to, or None when it names none."""
    if match := ISO_DAY.search(text):
        try:
            day = date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None
        return DateRange(day, day)
    if match := MONTH_DAY.search(text):
        month = MONTHS[match[1].lower()]
        year = int(match[3]) if match[3] else _latest_year(today, month, int(match[2]))
        try:
            day = date(year, month, int(match[2]))
        except ValueError:
            return None
        return DateRange(day, day)
    if match := LAST_N.search(text):
        count, unit = int(match[1]), match[2].lower()
        if unit == "day":
            return DateRange(today - timedelta(days=count), today)
        if unit == "week":
            return DateRange(today - timedelta(weeks=count), today)
        return DateRange(_months_back(today, count), today)
    if match := LAST_WEEKDAY.search(text):
        back = (today.weekday() - WEEKDAYS[match[1].lower()]) % 7 or 7
        day = today - timedelta(days=back)
        return DateRange(day, day)
    if match := RELATIVE.search(text):
        return _relative(match[1], today)
    if match := MONTH_YEAR.search(text):
        return month_range(int(match[2]), MONTHS[match[1].lower()])
    if match := IN_MONTH.search(text):
        month = MONTHS[match[1].lower()]
        year = int(match[2]) if match[2] else _latest_year(today, month, 1)
        return month_range(year, month)
    return None


def _latest_year(today: date, month: int, day: int) -> int:
    """The year of the most recent such month (and day) not after today."""
    return today.year if (month, day) <= (today.month, today.day) else today.year - 1
