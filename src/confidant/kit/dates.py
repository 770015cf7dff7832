"""Dates from plain phrases ("yesterday", "last week", "in March", "last 3 days",
"22 July", "two weeks ago", "the first week of June", "over Easter"), resolved against
today's date in the user's time zone."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.easter import easter

MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): n for n, name in enumerate(calendar.month_abbr) if name})
WEEKDAYS = {name.lower(): n for n, name in enumerate(calendar.day_name)}
MONTH_WORDS = "|".join(sorted(MONTHS, key=len, reverse=True))

ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
MONTH_DAY = re.compile(
    rf"\b(?:on\s+)?({MONTH_WORDS})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?\b", re.I
)
DAY_MONTH = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({MONTH_WORDS})\b\.?(?:,?\s+(\d{{4}}))?", re.I
)
NUMBER_WORDS = {
    "a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "a couple of": 2, "a few": 3,
}  # fmt: skip
COUNT = r"(\d{1,3}|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + ")"
AGO = re.compile(rf"\b{COUNT}\s+(day|week|month|year)s?\s+ago\b", re.I)
ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3}
WEEK_OF_MONTH = re.compile(
    rf"\b(first|1st|second|2nd|third|3rd|fourth|last)\s+week\s+(?:of|in)\s+({MONTH_WORDS})\b"
    r"(?:\s+(\d{4}))?",
    re.I,
)
WEEKEND = re.compile(r"\b(last|this|past|the)\s+weekend\b", re.I)
HOLIDAY = re.compile(
    r"\b(easter|christmas eve|christmas day|christmas|boxing day|new year's eve|"
    r"new year's day|new year)\b(?:\s+(?:weekend|holidays?|break))?(?:\s+(?:in\s+)?(\d{4}))?",
    re.I,
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
    if (day_month := _day_of_month(text, today)) is not None:
        return day_month
    if match := WEEK_OF_MONTH.search(text):
        return _week_of_month(match, today)
    if match := HOLIDAY.search(text):
        return _holiday(match[1].lower().replace("’", "'"), match[2], today)
    if match := AGO.search(text):
        return _ago(_count(match[1]), match[2].lower(), today)
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
    if match := WEEKEND.search(text):
        return _weekend(match[1].lower(), today)
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


def _day_of_month(text: str, today: date) -> DateRange | None:
    """ "March 4th", "4 March 2026", "the 4th of March": one day, or None."""
    if match := MONTH_DAY.search(text):
        month, day_number, year_text = MONTHS[match[1].lower()], int(match[2]), match[3]
    elif (match := DAY_MONTH.search(text)) and match[2] != "may":  # "3 may be", lower case
        month, day_number, year_text = MONTHS[match[2].lower()], int(match[1]), match[3]
    else:
        return None
    year = int(year_text) if year_text else _latest_year(today, month, day_number)
    try:
        day = date(year, month, day_number)
    except ValueError:
        return None
    return DateRange(day, day)


def _week_of_month(match: re.Match[str], today: date) -> DateRange:
    month = MONTHS[match[2].lower()]
    year = int(match[3]) if match[3] else _latest_year(today, month, 1)
    if match[1].lower() == "last":
        end = date(year, month, calendar.monthrange(year, month)[1])
        return DateRange(end - timedelta(days=6), end)
    start = date(year, month, 1) + timedelta(weeks=ORDINALS[match[1].lower()])
    return DateRange(start, start + timedelta(days=6))


def _holiday(name: str, year_text: str | None, today: date) -> DateRange:
    def span(year: int) -> tuple[date, date]:
        if name == "easter":
            sunday = easter(year)
            return sunday - timedelta(days=2), sunday + timedelta(days=1)
        if name in ("new year's day", "new year"):
            return date(year, 1, 1), date(year, 1, 1)
        days = {"christmas eve": (24, 24), "christmas day": (25, 25), "boxing day": (26, 26),
                "christmas": (24, 26), "new year's eve": (31, 31)}[name]  # fmt: skip
        return date(year, 12, days[0]), date(year, 12, days[1])

    if year_text:
        year = int(year_text)
    else:
        year = today.year if span(today.year)[0] <= today else today.year - 1
    return DateRange(*span(year))


def _count(word: str) -> int:
    return int(word) if word.isdigit() else NUMBER_WORDS[word.lower()]


def _ago(count: int, unit: str, today: date) -> DateRange:
    """The day, week (Monday to Sunday), month or year that was `count` of them ago."""
    if unit == "day":
        day = today - timedelta(days=count)
        return DateRange(day, day)
    if unit == "week":
        then = today - timedelta(weeks=count)
        monday = then - timedelta(days=then.weekday())
        return DateRange(monday, monday + timedelta(days=6))
    if unit == "month":
        then = _months_back(today, count)
        return month_range(then.year, then.month)
    return DateRange(date(today.year - count, 1, 1), date(today.year - count, 12, 31))


def _weekend(which: str, today: date) -> DateRange:
    """This weekend: the coming (or current) Saturday and Sunday; otherwise the last
    one before this week."""
    monday = today - timedelta(days=today.weekday())
    saturday = monday + timedelta(days=5) if which == "this" else monday - timedelta(days=2)
    return DateRange(saturday, saturday + timedelta(days=1))
