"""Assessments: score, store encrypted, answer the crisis flow, show history and trend."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from confidant.auth.models import User
from confidant.crypto.envelope import DataKey
from confidant.kit.db import new_id, utcnow
from confidant.kit.errors import NotFound
from confidant.kit.repository import scoped
from confidant.safety import service as safety_service
from confidant.safety.crisis import CrisisSignal
from confidant.tracking.activity import refresh_stats
from confidant.wellbeing import instruments
from confidant.wellbeing.instruments import Instrument
from confidant.wellbeing.models import AssessmentResponse
from confidant.wellbeing.schemas import (
    AssessmentOut,
    BandOut,
    HistoryOut,
    OptionOut,
    ResponseOut,
    SubmittedOut,
    TrendOut,
)

if TYPE_CHECKING:
    from confidant.runtime import Runtime

HISTORY_LIMIT = 100
# "Thoughts that you would be better off dead, or of hurting yourself": passive ideation.
SELF_HARM_SIGNAL = CrisisSignal("wish_dead", "moderate", "phq-9 item 9")


def instrument(assessment_id: str) -> Instrument:
    found = instruments.INSTRUMENTS.get(assessment_id.lower())
    if found is None:
        raise NotFound(f"No assessment {assessment_id!r}")
    return found


def describe(item: Instrument) -> AssessmentOut:
    return AssessmentOut(
        id=item.id,
        title=item.title,
        prompt=item.prompt,
        items=list(item.items),
        options=[OptionOut(value=o.value, label=o.label) for o in item.options],
        bands=[BandOut(low=b.low, high=b.high, severity=b.severity) for b in item.bands],
        max_score=item.max_score,
        better=item.better,
    )


def catalogue() -> list[AssessmentOut]:
    return [describe(item) for item in instruments.INSTRUMENTS.values()]


async def submit(
    rt: Runtime, session: AsyncSession, user: User, assessment_id: str, answers: list[int]
) -> SubmittedOut:
    """Score and keep a response; PHQ-9 item 9 above 0 is a crisis signal, as in chat."""
    item = instrument(assessment_id)
    result = instruments.score(item, answers)
    key = await rt.keystore.user_key(user.id)
    row = AssessmentResponse(
        id=new_id(), user_id=user.id, assessment_id=item.id, created_at=utcnow()
    )
    row.answers_ct = key.encrypt_json(
        answers, table="assessment_responses", column="answers", row_id=row.id
    )
    row.result_ct = key.encrypt_json(
        {"score": result.score, "severity": result.severity, "flagged": result.flagged},
        table="assessment_responses",
        column="result",
        row_id=row.id,
    )
    session.add(row)
    await refresh_stats(session, user)
    resources = None
    if item.id == instruments.PHQ9.id and answers[instruments.PHQ9_SELF_HARM_ITEM] > 0:
        safety_service.record_signal(session, user, SELF_HARM_SIGNAL, "assessment", None)
        resources = rt.crisis.resources_for(user.preferences.get("language"))
    out = _response_out(row, key)
    return SubmittedOut(**dict(out), crisis=resources is not None, crisis_resources=resources)


def crisis_resources(rt: Runtime, user: User) -> str:
    """The crisis lines for the user's language: shown the moment an answer calls for them."""
    return rt.crisis.resources_for(user.preferences.get("language"))


async def history(rt: Runtime, session: AsyncSession, user: User, assessment_id: str) -> HistoryOut:
    item = instrument(assessment_id)
    rows = await session.scalars(
        scoped(AssessmentResponse, user.id)
        .where(AssessmentResponse.assessment_id == item.id)
        .order_by(AssessmentResponse.created_at.desc(), AssessmentResponse.id.desc())
        .limit(HISTORY_LIMIT)
    )
    key = await rt.keystore.user_key(user.id)
    items = [_response_out(row, key) for row in rows]
    return HistoryOut(items=items, trend=_trend(item, [r.score for r in items]))


def _trend(item: Instrument, newest_first: list[int]) -> TrendOut:
    if not newest_first:
        return TrendOut(latest=None, previous=None, change=None, direction=None)
    latest = newest_first[0]
    if len(newest_first) == 1:
        return TrendOut(latest=latest, previous=None, change=None, direction=None)
    previous = newest_first[1]
    change = latest - previous
    better = change < 0 if item.better == "lower" else change > 0
    direction = "steady" if change == 0 else "improving" if better else "worsening"
    return TrendOut(latest=latest, previous=previous, change=change, direction=direction)


def _response_out(row: AssessmentResponse, key: DataKey) -> ResponseOut:
    context = {"table": "assessment_responses", "row_id": row.id}
    answers = key.decrypt_json(row.answers_ct, column="answers", **context)
    result = key.decrypt_json(row.result_ct, column="result", **context)
    return ResponseOut(
        id=row.id,
        assessment_id=row.assessment_id,
        answers=answers,
        score=result["score"],
        max_score=instrument(row.assessment_id).max_score,
        severity=result["severity"],
        flagged=result["flagged"],
        created_at=row.created_at,
    )


async def responses_since(
    session: AsyncSession, user: User, key: DataKey, start: datetime | None = None
) -> list[ResponseOut]:
    """The user's responses to every questionnaire, oldest first (all of them by default)."""
    query = scoped(AssessmentResponse, user.id)
    if start is not None:
        query = query.where(AssessmentResponse.created_at >= start)
    rows = await session.scalars(
        query.order_by(AssessmentResponse.created_at, AssessmentResponse.id)
    )
    return [_response_out(row, key) for row in rows]
