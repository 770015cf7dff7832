"""Fine-tunes as users and operators see them: start (by hand or by itself), watch,
cancel, list; and the adapter a user's replies are generated with."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from confidant.auth.models import ROLE_ADMIN, User
from confidant.chats.models import Message
from confidant.diary.models import DiaryEntry
from confidant.finetune import dataset
from confidant.finetune.models import (
    CANCELLED,
    FAILED,
    IN_PROGRESS,
    KIND_ADAPTER,
    QUEUED,
    READY,
    FineTunedModel,
)
from confidant.finetune.schemas import FineTuneIn, FineTuneStatus, HyperparametersIn, ModelListItem
from confidant.finetune.storage import ADAPTERS_AREA, AdapterFiles
from confidant.jobs import service as jobs_service
from confidant.jobs.models import FINISHED, Job
from confidant.kit.blobs import blob_store
from confidant.kit.db import new_id, utcnow
from confidant.kit.errors import Conflict, Forbidden, InvalidInput, NotFound, TooManyRequests
from confidant.llm.adapters import AdapterRef
from confidant.llm.base import ChatMessage, ChatModel, GenerationParams

if TYPE_CHECKING:
    from confidant.runtime import Runtime

TRAIN = "finetune.train"
TRIGGER_USER, TRIGGER_ADMIN, TRIGGER_AUTOMATIC = "user", "admin", "automatic"
MIN_EXAMPLES = 2


def _is_admin(user: User) -> bool:
    return user.role == ROLE_ADMIN


def adapter_files(rt: Runtime) -> AdapterFiles:
    return AdapterFiles(blob_store(rt.settings, ADAPTERS_AREA))


# --- starting ----------------------------------------------------------------------------


def trainable_base_models(rt: Runtime) -> list[str]:
    """Local models a worker can load and train: the loaded transformers models, and any
    configured as extra base models."""
    loaded = [
        e.name for e in rt.models.entries() if e.provider == "transformers" and e.status == "loaded"
    ]
    return list(dict.fromkeys([*loaded, *rt.settings.finetune_base_models]))


def _pick_base_model(rt: Runtime, requested: str | None) -> str:
    allowed = trainable_base_models(rt)
    if requested is None:
        if rt.models.default_name in allowed:
            return rt.models.default_name
        if allowed:
            return allowed[0]
        raise Conflict(
            "No local base model to fine-tune: the service answers through an "
            "OpenAI-compatible server. Set CONFIDANT_FINETUNE_BASE_MODELS to a local model."
        )
    if requested not in allowed:
        raise InvalidInput(
            f"Cannot fine-tune {requested}",
            details={"field": "baseModel", "available": allowed},
        )
    return requested


async def start(
    rt: Runtime, session: AsyncSession, caller: User, body: FineTuneIn
) -> FineTunedModel:
    """Queue a fine-tune of the caller's adapter (or, for an admin, anyone's)."""
    owner = await _target_user(session, caller, body.user_id)
    base_model = _pick_base_model(rt, body.base_model)
    await _refuse_if_busy(session, owner.id)
    if not _is_admin(caller):
        await _refuse_if_too_soon(rt, session, owner.id)
    if await _example_count(session, owner.id) < MIN_EXAMPLES:
        raise Conflict("Not enough of your own writing yet: add diary entries or chat first")
    trigger = TRIGGER_USER if caller.id == owner.id else TRIGGER_ADMIN
    return await _queue(session, owner.id, base_model, body.hyperparameters, trigger)


async def _target_user(session: AsyncSession, caller: User, user_id: str | None) -> User:
    if user_id is None or user_id == caller.id:
        return caller
    if not _is_admin(caller):
        raise Forbidden("Only administrators can fine-tune for another user")
    owner = await session.get(User, user_id)
    if owner is None:
        raise NotFound("No such user")
    return owner


async def _refuse_if_busy(session: AsyncSession, user_id: str) -> None:
    busy = await session.scalar(
        select(FineTunedModel.id)
        .join(Job, Job.id == FineTunedModel.job_id)
        .where(
            FineTunedModel.owner_id == user_id,
            FineTunedModel.status.in_(IN_PROGRESS),
            Job.state.not_in(FINISHED),  # not a fine-tune whose worker died
        )
    )
    if busy is not None:
        raise Conflict("A fine-tune is already queued or training", details={"modelId": busy})


async def _refuse_if_too_soon(rt: Runtime, session: AsyncSession, user_id: str) -> None:
    interval = timedelta(hours=rt.settings.finetune_user_interval_hours)
    last = await _last_started(session, user_id)
    if last is not None and utcnow() - last < interval:
        wait = (last + interval - utcnow()).total_seconds()
        raise TooManyRequests(
            f"You can start one fine-tune per {rt.settings.finetune_user_interval_hours:g} hours",
            retry_after=max(1, math.ceil(wait)),
        )


async def _last_started(session: AsyncSession, user_id: str) -> datetime | None:
    """When the user's last fine-tune that did not fail or get cancelled was queued."""
    return await session.scalar(
        select(func.max(FineTunedModel.created_at))
        .outerjoin(Job, Job.id == FineTunedModel.job_id)
        .where(
            FineTunedModel.owner_id == user_id,
            FineTunedModel.status.not_in([FAILED, CANCELLED]),
            func.coalesce(Job.state, "").not_in([FAILED, CANCELLED]),  # its worker died
        )
    )


async def _example_count(session: AsyncSession, user_id: str) -> int:
    """Diary entries plus chats, counted up to what is needed."""
    total = 0
    for query in (
        select(DiaryEntry.id).where(DiaryEntry.user_id == user_id),
        select(Message.chat_id).where(Message.user_id == user_id).distinct(),
    ):
        found = query.limit(MIN_EXAMPLES).subquery()
        total += int(await session.scalar(select(func.count()).select_from(found)) or 0)
    return total


async def _queue(
    session: AsyncSession,
    owner_id: str,
    base_model: str,
    hyperparameters: HyperparametersIn,
    trigger: str,
) -> FineTunedModel:
    model_id = new_id()
    job = jobs_service.submit(session, TRAIN, owner_id, {"model_id": model_id})
    await session.flush()  # the job row first: the model refers to it
    model = FineTunedModel(
        id=model_id,
        name=f"adapter-{model_id}",
        base_model=base_model,
        kind=KIND_ADAPTER,
        owner_id=owner_id,
        job_id=job.id,
        hyperparameters=hyperparameters.model_dump(),
        metrics={},
        status=QUEUED,
        trigger=trigger,
        created_at=utcnow(),
    )
    session.add(model)
    return model


async def maybe_start_automatically(rt: Runtime, user_id: str) -> FineTunedModel | None:
    """Queue a fine-tune when the user (who has not opted out) has written enough new
    text since their last one. Called by the workers after indexing new text."""
    base_model = _automatic_base_model(rt)
    if base_model is None:
        return None
    async with rt.db.transaction() as session:
        user = await session.get(User, user_id)
        if user is None or not user.preferences.get("auto_fine_tune", True):
            return None
        if await _busy_or_too_soon(rt, session, user_id):
            return None
        since = await session.scalar(
            select(func.max(FineTunedModel.created_at)).where(FineTunedModel.owner_id == user_id)
        )
        if (
            await dataset.new_text_since(session, user_id, since)
            < rt.settings.finetune_auto_min_chars
        ):
            return None
        return await _queue(session, user_id, base_model, HyperparametersIn(), TRIGGER_AUTOMATIC)


def _automatic_base_model(rt: Runtime) -> str | None:
    settings = rt.settings
    if settings.llm_provider == "transformers":
        return settings.llm_model
    return settings.finetune_base_models[0] if settings.finetune_base_models else None


async def _busy_or_too_soon(rt: Runtime, session: AsyncSession, user_id: str) -> bool:
    try:
        await _refuse_if_busy(session, user_id)
        await _refuse_if_too_soon(rt, session, user_id)
    except (Conflict, TooManyRequests):
        return True
    return False


# --- watching and cancelling -------------------------------------------------------------


async def _visible_model(session: AsyncSession, caller: User, model_id: str) -> FineTunedModel:
    """The caller's own adapter, or any adapter for an admin; 404 otherwise."""
    model = await session.get(FineTunedModel, model_id)
    if model is None or (model.owner_id != caller.id and not _is_admin(caller)):
        raise NotFound("No such model")
    return model


async def status(session: AsyncSession, caller: User, model_id: str) -> FineTuneStatus:
    model = await _visible_model(session, caller, model_id)
    job = await session.get(Job, model.job_id) if model.job_id else None
    return status_of(model, job)


def status_of(model: FineTunedModel, job: Job | None) -> FineTuneStatus:
    state, detail = model.status, model.metrics.get("detail")
    if state in IN_PROGRESS and job is not None and job.state in FINISHED:
        state, detail = job.state, job.detail  # its worker died, or it was cancelled queued
    metrics = model.metrics
    return FineTuneStatus(
        id=model.id,
        name=model.name,
        base_model=model.base_model,
        owner_id=model.owner_id,
        trigger=model.trigger,
        state=state,  # the model's states, or a job's end state
        step=metrics.get("step", 0),
        total_steps=metrics.get("total_steps"),
        loss=metrics.get("loss"),
        eval_loss=metrics.get("eval_loss"),
        eval_loss_before=metrics.get("eval_loss_before"),
        eta_seconds=metrics.get("eta_seconds") if state in IN_PROGRESS else None,
        train_examples=metrics.get("train_examples"),
        eval_examples=metrics.get("eval_examples"),
        detail=detail,
        job_id=model.job_id,
        created_at=model.created_at,
        finished_at=model.finished_at,
    )


async def cancel(session: AsyncSession, caller: User, model_id: str) -> FineTuneStatus:
    model = await _visible_model(session, caller, model_id)
    job = await session.get(Job, model.job_id) if model.job_id else None
    if model.status not in IN_PROGRESS or job is None or job.state in FINISHED:
        raise Conflict(f"The fine-tune has already ended ({status_of(model, job).state})")
    jobs_service.request_cancel(job)
    if job.state == CANCELLED:  # it had not started: it never will
        model.status, model.finished_at = CANCELLED, utcnow()
    return status_of(model, job)


# --- listing and serving -----------------------------------------------------------------


async def list_models(rt: Runtime, session: AsyncSession, caller: User) -> list[ModelListItem]:
    """The base models the service runs, then the caller's adapters, newest first."""
    items = [
        ModelListItem(
            name=entry.name,
            kind="base",
            provider=entry.provider,
            status=entry.status,
            reason=entry.reason,
            default=entry.name == rt.models.default_name,
        )
        for entry in rt.models.entries()
    ]
    rows = (
        await session.execute(
            select(FineTunedModel, Job)
            .outerjoin(Job, Job.id == FineTunedModel.job_id)
            .where(FineTunedModel.owner_id == caller.id)
            .order_by(FineTunedModel.created_at.desc())
        )
    ).all()
    adapters = [adapter for adapter, _ in rows]
    active = {
        current.id
        for base in _bases(adapters)
        if (current := await _active_adapter(session, caller.id, base)) is not None
    }
    items += [
        ModelListItem(
            name=adapter.name,
            kind="adapter",
            status=status_of(adapter, job).state,
            id=adapter.id,
            base_model=adapter.base_model,
            active=adapter.id in active,
            created_at=adapter.created_at,
        )
        for adapter, job in rows
    ]
    return items


def _bases(adapters: list[FineTunedModel]) -> set[str]:
    return {adapter.base_model for adapter in adapters}


async def _active_adapter(
    session: AsyncSession, user_id: str, base_model: str
) -> FineTunedModel | None:
    """The user's newest finished adapter on this base model: the one replies use."""
    return await session.scalar(
        select(FineTunedModel)
        .where(
            FineTunedModel.owner_id == user_id,
            FineTunedModel.base_model == base_model,
            FineTunedModel.status == READY,
        )
        .order_by(FineTunedModel.created_at.desc())
        .limit(1)
    )


async def personalize(
    rt: Runtime, session: AsyncSession, user_id: str, model: ChatModel
) -> ChatModel:
    """`model` with the user's adapter for it, when they have one; else `model` itself.

    Only the in-process provider applies adapters here; an OpenAI-compatible server
    (vLLM) serves them by name once published to it (docs: README, fine-tuning)."""
    if model.provider != "transformers":
        return model
    adapter = await _active_adapter(session, user_id, model.name)
    if adapter is None or adapter.adapter_location is None:
        return model
    adapter_id, location = adapter.id, adapter.adapter_location

    async def load() -> bytes:
        key = await rt.keystore.user_key(user_id)
        return adapter_files(rt).read(key, location, adapter_id)

    async def failed(reason: str) -> None:
        async with rt.db.transaction() as failing:
            await mark_unservable(failing, adapter_id, reason)

    return PersonalModel(model, AdapterRef(adapter.name, load, failed))


async def mark_unservable(session: AsyncSession, adapter_id: str, reason: str) -> None:
    """The adapter could not be applied to its base model: replies stop asking for it
    (the owner's previous adapter, or the base model, serves them) and its status says
    why."""
    adapter = await session.get(FineTunedModel, adapter_id)
    if adapter is None or adapter.status != READY:
        return
    adapter.status = FAILED
    adapter.metrics = {**adapter.metrics, "detail": f"could not be served: {reason}"}


class PersonalModel:
    """A base model bound to one user's adapter, for one reply."""

    def __init__(self, base: ChatModel, adapter: AdapterRef) -> None:
        self.base = base
        self.adapter = adapter
        self.name = base.name
        self.provider = base.provider
        self.context_window = base.context_window

    def count_tokens(self, messages: list[ChatMessage]) -> int:
        return self.base.count_tokens(messages)

    def tokens_each(self, messages: list[ChatMessage]) -> list[int]:
        return self.base.tokens_each(messages)

    def stream(
        self,
        messages: list[ChatMessage],
        params: GenerationParams,
        adapter: AdapterRef | None = None,
    ) -> AsyncIterator[str]:
        return self.base.stream(messages, params, adapter or self.adapter)

    async def aclose(self) -> None:
        """The base model belongs to the registry."""
