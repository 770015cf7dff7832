"""prepare_reply and converse: how every channel answers a person.

The order is fixed here, once. Retrieval starts at once, in parallel; one transaction
loads the chat (404 when not theirs), the person's recent turns, their adapter and the
wearable line; the crisis screen runs next and its help is sent before anything waits
on retrieval or on the model; then grounding in the person's own notes; the model last.
The severity decides the reply: at high severity the fixed safety message, not the
model; at moderate the model after the resources, told to stay with the person. A reply
cut short (Stop, a client gone, a barge-in) is kept as far as it was written, marked
interrupted.
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
from confidant.safety import responses
from confidant.safety import service as safety_service
from confidant.safety.crisis import CrisisSignal
from confidant.sensors import service as sensors_service

if TYPE_CHECKING:
    from confidant.runtime import Runtime

log = logging.getLogger("confidant.companion")

SAFETY_AUTHOR = "confidant-safety"  # who "wrote" the fixed reply at the highest severity
SCREENED_TURNS = 8  # the person's earlier turns the screen reads with a new message

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
    fixed_reply: str | None = None  # the reviewed safety message, instead of the model

    @property
    def author(self) -> str:
        return SAFETY_AUTHOR if self.fixed_reply is not None else self.model.name

    def deltas(self) -> AsyncGenerator[str, None]:
        if self.fixed_reply is not None:
            return _once(self.fixed_reply)
        return stream_reply(self.model, self.context, self.params, self.crisis_resources)


async def _once(text: str) -> AsyncGenerator[str, None]:
    yield text


@dataclass(frozen=True)
class Screened:
    """A crisis signal and the resources for it, in the person's language(s)."""

    signal: CrisisSignal
    resources: str

    @property
    def high(self) -> bool:
        return responses.is_high(self.signal)


class Keeper(Protocol[Kept_co]):
    """How a channel stores a turn (a chat's messages, a query record, or nothing)."""

    async def keep(self, prepared: PreparedReply, text: str, interrupted: bool) -> Kept_co: ...


class KeepNothing:
    async def keep(self, prepared: PreparedReply, text: str, interrupted: bool) -> None:
        return None


@dataclass(frozen=True)
class Known:
    """What the database says about an ask: the person's recent turns (for the screen),
    the conversation the reply continues, their model with its adapter, the wearable."""

    earlier_turns: list[str]
    history: list[ChatMessage]
    model: ChatModel
    wearable: str


async def _known(rt: Runtime, ask: Ask) -> Known:
    """One transaction; a chat that is not the person's is a 404 here."""
    async with rt.db.transaction() as session:
        key = await rt.keystore.user_key(ask.user.id)
        model_name, history = ask.model_name, list(ask.history)
        earlier = [m["content"] for m in history if m["role"] == "user"][-SCREENED_TURNS:]
        if ask.chat_id is not None:
            recent = await chats_service.recent_history(rt, session, ask.user, ask.chat_id, key)
            history, earlier = recent.messages, recent.user_turns_today[-SCREENED_TURNS:]
            model_name = model_name or recent.model
        model = await finetune_service.personalize(
            rt, session, ask.user.id, rt.models.for_reply(model_name)
        )
        wearable = await sensors_service.context_line(rt, session, ask.user, key)
    return Known(earlier, history, model, wearable)


async def screen(
    rt: Runtime, ask: Ask, earlier_turns: Sequence[str] | None = None
) -> Screened | None:
    """The crisis screen, over the message and the person's earlier turns (by default
    those in `ask.history`): on a signal, record it (and flag the chat), committed at
    once, and return the resources in the person's language and, when the message is in
    another, in that one too."""
    if earlier_turns is None:
        earlier_turns = [m["content"] for m in ask.history if m["role"] == "user"]
    # in a thread: the semantic layer's encoder takes milliseconds, and runs meanwhile
    # beside the retrieval already under way
    signal = await asyncio.to_thread(rt.crisis.screen, ask.text, earlier_turns[-SCREENED_TURNS:])
    if signal is None:
        return None
    async with rt.db.transaction() as session:
        safety_service.record_signal(session, ask.user, signal, ask.channel, ask.chat_id)
        if ask.chat_id is not None:
            await chats_service.flag_chat(session, ask.user, ask.chat_id)
    preferred = ask.user.preferences.get("language")
    return Screened(signal, rt.crisis.resources_for(preferred, signal.language))


async def prepare_reply(rt: Runtime, ask: Ask, screened: Screened | None) -> PreparedReply:
    """Everything a reply needs, for an ask already screened: grounded in the person's
    notes, with their model and adapter; at the highest severity, the fixed message."""
    grounding = asyncio.create_task(_ground(rt, ask))
    try:
        return await _prepared(rt, ask, screened, await _known(rt, ask), grounding)
    finally:
        grounding.cancel()


async def _prepared(
    rt: Runtime,
    ask: Ask,
    screened: Screened | None,
    known: Known,
    grounding: asyncio.Task[tuple[str, list[SourceOut]]],
) -> PreparedReply:
    params = ask.params or default_params(rt.settings)
    if screened is not None and screened.high:
        grounding.cancel()
        language = screened.signal.language or ask.user.preferences.get("language")
        fixed = responses.fixed_reply(screened.resources, language)
        return PreparedReply(known.model, [], params, screened.resources, fixed_reply=fixed)
    try:
        grounded_prompt, sources = await grounding
    except Exception:
        if screened is None:
            raise
        log.warning("retrieval failed during a crisis turn; answering without notes", exc_info=True)
        grounded_prompt, sources = rt.settings.llm_system_prompt, []
    instructions = [*ask.instructions, *([responses.STAY_WITH_THEM] if screened else [])]
    system_prompt = "\n\n".join(
        part for part in (grounded_prompt, known.wearable, *instructions) if part
    )
    context = fit_context(
        known.model,
        system_prompt,
        [*known.history, {"role": "user", "content": ask.text}],
        reserve=params.max_new_tokens,
    )
    resources = screened.resources if screened is not None else None
    return PreparedReply(known.model, context, params, resources, sources)


async def _ground(rt: Runtime, ask: Ask) -> tuple[str, list[SourceOut]]:
    return await rag_answers.grounding(rt, ask.user, ask.text)


_priming: set[asyncio.Task[None]] = set()  # held here until done: the loop keeps weak refs


def _prime(rt: Runtime, text: str) -> None:
    """Start the screen's encoder on the message (a thread that ends by itself and never
    raises); the screen then waits for the vector under way instead of starting again."""
    task = asyncio.create_task(asyncio.to_thread(rt.crisis.prime, text))
    _priming.add(task)
    task.add_done_callback(_priming.discard)


async def converse(
    rt: Runtime, ask: Ask, keeper: Keeper[Kept]
) -> AsyncGenerator[Event[Kept], None]:
    """One turn as events: `Crisis` (at once), `Sources`, `Delta`s, then `Replied` with
    what the keeper stored; `Failed` ends it on a domain error."""
    # Retrieval (embedding the message) starts at once, alongside the database work and
    # the screen: help never waits on it, and an ordinary reply does not wait for it
    # to start.
    grounding = asyncio.create_task(_ground(rt, ask))
    _prime(rt, ask.text)
    try:
        known = await _known(rt, ask)
        screened = await screen(rt, ask, known.earlier_turns)
        if screened is not None:
            yield Crisis(screened.resources, screened.signal.severity)
        prepared = await _prepared(rt, ask, screened, known, grounding)
    except DomainError as error:
        yield Failed(error)
        return
    finally:
        grounding.cancel()
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
