"""Everything the service holds about a user, as one document in the shape of the seed's
per-user JSON (meta, user, health, analytics, insights, interactions, security), extended
with the diary, mood, habits, medical card and sensors. `export.schema.json` describes it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from confidant.analytics import service as analytics_service
from confidant.auth.models import User
from confidant.chats import service as chats_service
from confidant.chats.models import Chat, Message
from confidant.crypto.envelope import DataKey
from confidant.diary import service as diary_service
from confidant.diary.models import DiaryEntry
from confidant.insights import service as insights_service
from confidant.kit.repository import scoped
from confidant.ledger import service as ledger_service
from confidant.sensors import service as sensors_service
from confidant.sensors.models import SensorSample
from confidant.tracking import habits as habits_service
from confidant.tracking import mindfulness, mood
from confidant.tracking.models import MindfulnessSession, MoodEntry
from confidant.users import service as users_service
from confidant.wellbeing import instruments
from confidant.wellbeing import service as wellbeing_service
from confidant.wellbeing.schemas import ResponseOut

if TYPE_CHECKING:
    from confidant.runtime import Runtime

FORMAT_VERSION = 1
TRAIL_PAGE = 1000


def _json(model: BaseModel) -> Any:
    return model.model_dump(mode="json", by_alias=True)


async def document(rt: Runtime, session: AsyncSession, user: User) -> dict[str, Any]:
    key = await rt.keystore.user_key(user.id)
    me = await users_service.get_me(rt, session, user)
    responses = await wellbeing_service.responses_since(session, user, key)
    insight = await insights_service.daily(rt, session, user)
    return {
        "meta": {"version": FORMAT_VERSION, "generatedAt": _now()},
        "user": {
            "id": me.id,
            "role": me.role,
            "createdAt": _json(me)["createdAt"],
            "profile": _json(me.profile),
            "preferences": _json(me.preferences),
            "stats": _json(me.stats),
        },
        "health": {
            "assessments": _latest_assessments(responses),
            "assessmentHistory": [_json(r) for r in responses],
            "medicalCard": _json(me.medical_card),
        },
        "analytics": _json(await analytics_service.analytics(rt, session, user, "week")),
        "insights": {
            "dailyInsight": _json(insight.daily_insight),
            "suggestions": _json(insight.suggestions),
        },
        "interactions": await _interactions(session, user, key),
        "security": {"blockchainLogs": await _trail(rt, user)},
        "diary": await _diary(session, user, key),
        "mood": await _mood(session, user, key),
        "habits": await _habits(session, user, key),
        "sensors": {"samples": await _samples(session, user, key)},
    }


def _now() -> str:
    return _timestamp(datetime.now(UTC))


def _timestamp(moment: datetime) -> str:
    """UTC with a Z, as the API's models write times."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _latest_assessments(responses: list[ResponseOut]) -> list[dict[str, Any]]:
    """The seed's summary: each questionnaire's latest score and what it means."""
    latest = {r.assessment_id: r for r in responses}
    return [
        {
            "id": r.assessment_id,
            "title": instruments.INSTRUMENTS[r.assessment_id].title,
            "score": r.score,
            "maxScore": r.max_score,
            "level": r.severity,
            "lastTaken": _json(r)["createdAt"],
        }
        for r in latest.values()
    ]


async def _interactions(session: AsyncSession, user: User, key: DataKey) -> dict[str, Any]:
    chats = await session.scalars(scoped(Chat, user.id).order_by(Chat.created_at, Chat.id))
    messages = await session.scalars(
        scoped(Message, user.id).order_by(Message.created_at, Message.id)
    )
    sessions = await session.scalars(
        scoped(MindfulnessSession, user.id).order_by(
            MindfulnessSession.completed_at, MindfulnessSession.id
        )
    )
    return {
        "chats": [_json(chats_service.chat_out(c, key)) for c in chats],
        "chatHistory": [_json(chats_service.message_out(m, key)) for m in messages],
        "sessions": [_json(mindfulness.session_out(s, key)) for s in sessions],
    }


async def _trail(rt: Runtime, user: User) -> list[dict[str, Any]]:
    """The user's own ledger leaves, oldest first."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = await ledger_service.trail(rt, user.id, cursor, TRAIL_PAGE, False)
        items += [
            {
                "txId": i.leaf_hash.hex(),
                "action": i.action,
                "timestamp": i.at,
                "leafIndex": i.leaf_index,
            }
            for i in page.items
        ]
        if page.next_cursor is None:
            return items[::-1]
        cursor = page.next_cursor


async def _diary(session: AsyncSession, user: User, key: DataKey) -> list[dict[str, Any]]:
    entries = await session.scalars(
        scoped(DiaryEntry, user.id).order_by(
            DiaryEntry.entry_date, DiaryEntry.created_at, DiaryEntry.id
        )
    )
    return [_json(diary_service.entry_out(e, key)) for e in entries]


async def _mood(session: AsyncSession, user: User, key: DataKey) -> list[dict[str, Any]]:
    entries = await session.scalars(
        scoped(MoodEntry, user.id).order_by(MoodEntry.logged_at, MoodEntry.id)
    )
    return [_json(mood.mood_out(e, key)) for e in entries]


async def _habits(session: AsyncSession, user: User, key: DataKey) -> list[dict[str, Any]]:
    days: dict[str, list[str]] = defaultdict(list)
    for check_in in await habits_service.all_check_ins(session, user):
        days[check_in.habit_id].append(check_in.day.isoformat())
    return [
        {
            "id": habit.id,
            "name": habits_service.name_of(habit, key),
            "targetPerWeek": habit.target_per_week,
            "archived": habit.archived_at is not None,
            "createdAt": _timestamp(habit.created_at),
            "checkIns": days[habit.id],
        }
        for habit in await habits_service.habits_of(session, user)
    ]


async def _samples(session: AsyncSession, user: User, key: DataKey) -> list[dict[str, Any]]:
    rows = await session.scalars(
        scoped(SensorSample, user.id).order_by(SensorSample.measured_at, SensorSample.id)
    )
    return [_json(sensors_service.sample_out(r, key)) for r in rows]
