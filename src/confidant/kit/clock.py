"""Days as the user lives them: every "today" and every daily bucket is in their time zone."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo


class HasPreferences(Protocol):
    """Whoever carries a time-zone preference: an account, here."""

    @property
    def preferences(self) -> Mapping[str, Any]: ...


def zone_of(user: HasPreferences) -> ZoneInfo:
    return ZoneInfo(str(user.preferences.get("time_zone") or "UTC"))


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def today_for(user: HasPreferences, now: datetime | None = None) -> date:
    return local_day(now or datetime.now(UTC), zone_of(user))


FIRST_INSTANT = datetime.min.replace(tzinfo=UTC)
LAST_INSTANT = datetime.max.replace(tzinfo=UTC)


def day_bounds(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC instants from the start of `first` to the start of the day after `last`."""
    end = LAST_INSTANT if last == date.max else _start_of(last + timedelta(days=1), zone)
    return _start_of(first, zone), end


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant `day` begins in `zone`; at the ends of the calendar (year 1 east
    of UTC, year 9999 west of it) the first or last instant there is."""
    try:
        return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
    except OverflowError:
        return FIRST_INSTANT if day.year == 1 else LAST_INSTANT


def days_ending(last: date, count: int) -> list[date]:
    return [last - timedelta(days=count - 1 - i) for i in range(count)]
