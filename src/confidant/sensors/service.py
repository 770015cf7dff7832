"""Wearable samples: stored once per device sample id, summarised per day for people and
for the companion's context."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from confidant.auth.models import User
from confidant.crypto.envelope import DataKey
from confidant.kit.clock import day_bounds, local_day, today_for, zone_of
from confidant.kit.db import new_id, utcnow
from confidant.kit.errors import Conflict, PayloadTooLarge
from confidant.kit.repository import scoped
from confidant.sensors.models import SensorSample
from confidant.sensors.schemas import (
    BatchOut,
    DailySummaryOut,
    HeartRateOut,
    SampleIn,
    SampleOut,
)

if TYPE_CHECKING:
    from confidant.runtime import Runtime

_ID_LOOKUP_CHUNK = 500


def _seal(row: SensorSample, key: DataKey, value: float) -> None:
    row.value_ct = key.encrypt_json(value, table="sensor_samples", column="value", row_id=row.id)


def value_of(row: SensorSample, key: DataKey) -> float:
    value = key.decrypt_json(row.value_ct, table="sensor_samples", column="value", row_id=row.id)
    return float(value)


async def _stored_ids(session: AsyncSession, user: User, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), _ID_LOOKUP_CHUNK):
        chunk = ids[start : start + _ID_LOOKUP_CHUNK]
        found.update(
            await session.scalars(
                select(SensorSample.client_id).where(
                    SensorSample.user_id == user.id, SensorSample.client_id.in_(chunk)
                )
            )
        )
    return found


async def ingest(
    rt: Runtime, session: AsyncSession, user: User, samples: list[SampleIn]
) -> BatchOut:
    """Store the samples not stored before; a sample id seen again (in this batch or an
    earlier one) is counted as a duplicate and left as it was."""
    if len(samples) > rt.settings.sensors_max_batch:
        raise PayloadTooLarge(f"Send at most {rt.settings.sensors_max_batch} samples a batch")
    key = await rt.keystore.user_key(user.id)
    seen = await _stored_ids(session, user, [s.id for s in samples])
    now = utcnow()
    fresh: list[SensorSample] = []
    for sample in samples:
        if sample.id in seen:
            continue
        seen.add(sample.id)
        row = SensorSample(
            id=new_id(),
            user_id=user.id,
            client_id=sample.id,
            kind=sample.type,
            measured_at=sample.at,
            created_at=now,
        )
        _seal(row, key, sample.value)
        fresh.append(row)
    session.add_all(fresh)
    try:
        await session.flush()
    except IntegrityError as exc:  # the same samples arriving twice at the same moment
        raise Conflict("These samples are being stored by another request; send again") from exc
    return BatchOut(received=len(samples), stored=len(fresh), duplicates=len(samples) - len(fresh))


async def samples_between(
    session: AsyncSession, user: User, first: date, last: date
) -> list[SensorSample]:
    start, end = day_bounds(first, last, zone_of(user))
    rows = await session.scalars(
        scoped(SensorSample, user.id)
        .where(SensorSample.measured_at >= start, SensorSample.measured_at < end)
        .order_by(SensorSample.measured_at, SensorSample.id)
    )
    return list(rows)


def summarise(
    rows: Iterable[SensorSample], key: DataKey, user: User, days: list[date]
) -> list[DailySummaryOut]:
    zone = zone_of(user)
    values: dict[tuple[date, str], list[float]] = defaultdict(list)
    for row in rows:
        values[(local_day(row.measured_at, zone), row.kind)].append(value_of(row, key))
    return [_day_summary(day, values) for day in days]


def _day_summary(day: date, values: dict[tuple[date, str], list[float]]) -> DailySummaryOut:
    steps = values.get((day, "steps"))
    sleep = values.get((day, "sleep_minutes"))
    beats = values.get((day, "heart_rate"))
    heart = None
    if beats:
        heart = HeartRateOut(
            average=round(sum(beats) / len(beats), 1),
            min=min(beats),
            max=max(beats),
            samples=len(beats),
        )
    return DailySummaryOut(
        day=day,
        steps=round(sum(steps)) if steps else None,
        sleep_minutes=round(sum(sleep)) if sleep else None,
        heart_rate=heart,
    )


async def daily(
    rt: Runtime, session: AsyncSession, user: User, first: date, last: date
) -> list[DailySummaryOut]:
    key = await rt.keystore.user_key(user.id)
    rows = await samples_between(session, user, first, last)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return summarise(rows, key, user, days)


def sample_out(row: SensorSample, key: DataKey) -> SampleOut:
    return SampleOut(id=row.client_id, type=row.kind, value=value_of(row, key), at=row.measured_at)


async def context_line(rt: Runtime, session: AsyncSession, user: User, key: DataKey) -> str:
    """What the wearable said about last night and yesterday, for the companion's prompt;
    empty when there is nothing recent."""
    today = today_for(user)
    yesterday = today - timedelta(days=1)
    rows = await samples_between(session, user, yesterday, today)
    if not rows:
        return ""
    before, now = summarise(rows, key, user, [yesterday, today])
    facts = []
    if now.sleep_minutes:
        facts.append(f"slept {_hours(now.sleep_minutes)} last night")
    for summary, when in ((now, "today so far"), (before, "yesterday")):
        if summary.steps is not None:
            facts.append(f"{summary.steps:,} steps {when}")
    if before.heart_rate:
        hr = before.heart_rate
        facts.append(f"yesterday's heart rate averaged {hr.average:g} bpm ({hr.min:g}-{hr.max:g})")
    if not facts:
        return ""
    return "From the user's own wearable: " + "; ".join(facts) + "."


def _hours(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"
