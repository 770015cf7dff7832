"""Days as the user lives them: every "today" and every daily bucket is in their time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from confidant.auth.models import User


def zone_of(user: User) -> ZoneInfo:
    return ZoneInfo(str(user.preferences.get("time_zone") or "UTC"))


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def today_for(user: User, now: datetime | None = None) -> date:
    return local_day(now or datetime.now(UTC), zone_of(user))


def day_bounds(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC instants from the start of `first` to the start of the day after `last`."""
    start = datetime.combine(first, time.min, tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
    return start, end


def days_ending(last: date, count: int) -> list[date]:
    return [last - timedelta(days=count - 1 - i) for i in range(count)]
