"""prepare_reply and converse: how every channel answers a person.

The order is fixed here, once: the crisis screen first (so help never waits on
retrieval or on the model), then grounding in the person's own notes and their
adapter, then the model. A reply cut short (Stop, a client gone, a barge-in) is kept
as far as it was written, marked interrupted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypeVar

from confidant.auth.models import User
from confidant.chats import service as chats_service
from confidant.companion.events import Crisis, Delta, Event, Failed, Replied, Sources
from confidant.finetune import service as finetune_service
from confidant.kit.errors import DomainError
from confidant.llm.base import ChatMessage, ChatModel, GenerationParams
from confidant.llm.context import fit_context
from confidant.llm.generation import default_params, stream_reply
from confidant.rag import answers as rag_answers
from confidant.rag.schemas import SourceOut
from confidant.safety import service as safety_service
from confidant.sensors import service as sensors_service

if TYPE_CHECKING:
    from confidant.runtime import Runtime

log = logging.getLogger("confidant.companion")

Kept = TypeVar("Kept")
Kept_co = TypeVar("Kept_co", covariant=True)


@dataclass(frozen=True)
class Ask:
    """What a channel asks the companion to answer."""

    user: User
    text: str  # the person's message, screened and answered
    channel: str  # where a crisis signal was seen: chat, voice, query, rag, openai
    chat_id: str | None = None  # a chat's history and model; a signal flags it
    history: Sequence[ChatMessage] = ()  # earlier turns, oldest first (no chat)
    instructions: Sequence[str] = ()  # the caller's own system text, after ours
    model_name: str | None = None  # None: the chat's model, else the default
    params: GenerationParams | None = None


@dataclass(frozen=True)
class PreparedReply:
    """Everything a reply needs: context, the model with the user's adapter, sources,
    crisis resources and generation parameters."""

    model: ChatModel
    context: list[ChatMessage]
    params: GenerationParams
    crisis_resources: str | None
    sources: list[SourceOut] = field(default_factory=list)

    def deltas(self) -> AsyncGenerator[str, None]:
        return stream_reply(self.model, self.context, self.params, self.crisis_resources)


class Keeper(Protocol[Kept_co]):
    """How a channel stores a turn (a chat's messages, a query record, or nothing)."""

    async def keep(self, prepared: PreparedReply, text: str, interrupted: bool) -> Kept_co: ...


class KeepNothing:
    async def keep(self, prepared: PreparedReply, text: str, interrupted: bool) -> None:
        return None


async def screen(rt: Runtime, ask: Ask) -> str | None:
    """The crisis screen: on a signal, record it (and flag the chat), committed at once,
    and return the resources in the person's language."""
    signal = rt.crisis.screen(ask.text)
    if signal is None:
        return None
    async with rt.db.transaction() as session:
        safety_service.record_signal(session, ask.user, signal, ask.channel, ask.chat_id)
        if ask.chat_id is not None:
            await chats_service.flag_chat(session, ask.user, ask.chat_id)
    return rt.crisis.resources_for(ask.user.preferences.get("language"))


async def prepare_reply(rt: Runtime, ask: Ask, crisis_resources: str | None) -> PreparedReply:
    """Ground the reply in the person's notes and pick their model and adapter."""
    # Retrieval (embedding the message) runs alongside the database work: it would
    # otherwise add its whole time to the time to first token.
    grounding = asyncio.create_task(_ground(rt, ask, crisis_resources is not None))
    try:
        async with rt.db.transaction() as session:
            key = await rt.keystore.user_key(ask.user.id)
            model_name, history = ask.model_name, list(ask.history)
            if ask.chat_id is not None:
                chat_model, history = await chats_service.recent_history(
                    rt, session, ask.user, ask.chat_id, key
                )
                model_name = model_name or chat_model
            model = await finetune_service.personalize(
                rt, session, ask.user.id, rt.models.for_reply(model_name)
            )
            wearable = await sensors_service.context_line(rt, session, ask.user, key)
        grounded_prompt, sources = await grounding
    finally:
        grounding.cancel()
    params = ask.params or default_params(rt.settings)
    system_prompt = "\n\n".join(
        part for part in (grounded_prompt, wearable, *ask.instructions) if part
    )
    context = fit_context(
        model,
        system_prompt,
        [*history, {"role": "user", "content": ask.text}],
        reserve=params.max_new_tokens,
    )
    return PreparedReply(model, context, params, crisis_resources, sources)


async def _ground(rt: Runtime, ask: Ask, in_crisis: bool) -> tuple[str, list[SourceOut]]:
    try:
        return await rag_answers.grounding(rt, ask.user, ask.text)
    except Exception:
        if not in_crisis:
            raise
        log.warning("retrieval failed during a crisis turn; answering without notes", exc_info=True)
        return rt.settings.llm_system_prompt, []


async def converse(
    rt: Runtime, ask: Ask, keeper: Keeper[Kept]
) -> AsyncGenerator[Event[Kept], None]:
    """One turn as events: `Crisis` (at once), `Sources`, `Delta`s, then `Replied` with
    what the keeper stored; `Failed` ends it on a domain error."""
    try:
        if ask.chat_id is not None:
            await chats_service.require_chat(rt, ask.user, ask.chat_id)
        resources = await screen(rt, ask)
    except DomainError as error:
        yield Failed(error)
        return
    if resources is not None:
        yield Crisis(resources)
    try:
        prepared = await prepare_reply(rt, ask, resources)
    except DomainError as error:
        yield Failed(error)
        return
    yield Sources(prepared)
    parts: list[str] = []
    try:
        async with contextlib.aclosing(prepared.deltas()) as deltas:
            async for delta in deltas:
                parts.append(delta)
                yield Delta(delta)
    except DomainError as error:
        yield Failed(error)
        return
    except (GeneratorExit, asyncio.CancelledError):
        await _keep_cut_short(keeper, prepared, "".join(parts))
        raise
    try:
        kept = await keeper.keep(prepared, "".join(parts), interrupted=False)
    except DomainError as error:
        yield Failed(error)
        return
    yield Replied("".join(parts), kept, prepared)


async def _keep_cut_short(keeper: Keeper[Kept], prepared: PreparedReply, text: str) -> None:
    """Store a reply that was stopped, shielded from a second cancellation."""
    keeping = asyncio.ensure_future(keeper.keep(prepared, text, interrupted=True))
    try:
        await asyncio.shield(keeping)
    except asyncio.CancelledError:
        pass
    except Exception:
        log.exception("could not keep a reply that was cut short")


@dataclass(frozen=True)
class Answer(Replied[Kept]):
    crisis: bool = False


async def collect(events: AsyncIterator[Event[Kept]]) -> Answer[Kept]:
    """The whole turn at once, for channels that answer in one response; a domain error
    is raised (after help, the model's failure is already swallowed by the reply)."""
    crisis = False
    async for event in events:
        if isinstance(event, Crisis):
            crisis = True
        elif isinstance(event, Failed):
            raise event.error
        elif isinstance(event, Replied):
            return Answer(event.text, event.kept, event.prepared, crisis)
    raise RuntimeError("a turn ended without its reply")


async def started(events: AsyncGenerator[Event[Kept], None]) -> AsyncGenerator[Event[Kept], None]:
    """Run `events` up to the reply's first text, so that an error before anything was
    written (an unknown chat, a busy model) is an HTTP error rather than a broken
    stream. Once help has been sent, nothing turns the turn into an HTTP error."""
    early: list[Event[Kept]] = []
    async for event in events:
        if isinstance(event, Failed) and not any(isinstance(e, Crisis) for e in early):
            await events.aclose()
            raise event.error
        early.append(event)
        if isinstance(event, Delta | Replied | Failed):
            break
    return _replay(early, events)


async def _replay(
    early: list[Event[Kept]], events: AsyncGenerator[Event[Kept], None]
) -> AsyncGenerator[Event[Kept], None]:
    try:
        for event in early:
            yield event
        async for event in events:
            yield event
    finally:
        await events.aclose()
