"""Recording crisis signals: what and where, never the words."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from confidant.auth.models import User
from confidant.safety.crisis import CrisisSignal
from confidant.safety.models import SafetyEvent

if TYPE_CHECKING:
    from confidant.runtime import Runtime


def record_signal(
    session: AsyncSession, user: User, signal: CrisisSignal, channel: str, chat_id: str | None
) -> None:
    session.add(
        SafetyEvent(
            user_id=user.id,
            chat_id=chat_id,
            category=signal.category,
            severity=signal.severity,
            detector=signal.source,
            channel=channel,
        )
    )


async def screen_and_record(rt: Runtime, user: User, text: str, channel: str) -> str | None:
    """Screen a message outside any chat; on a signal, record it and return the resources."""
    signal = await asyncio.to_thread(rt.crisis.screen, text)
    if signal is None:
        return None
    async with rt.db.transaction() as session:
        record_signal(session, user, signal, channel, None)
    return rt.crisis.resources_for(user.preferences.get("language"))
