"""Fine-tuning jobs that run on the workers, and the functions that queue them."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import TYPE_CHECKING, Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from confidant.finetune import dataset, service
from confidant.finetune.models import CANCELLED, FAILED, QUEUED, READY, TRAINING, FineTunedModel
from confidant.finetune.training import (
    Hyperparameters,
    LoraTrainer,
    TrainingStatus,
    split,
)
from confidant.jobs.service import Progress, after, handler, submit
from confidant.kit.db import utcnow
from confidant.llm.bundled import local_source
from confidant.rag import tasks as rag_tasks
from confidant.users import hooks as users_hooks

if TYPE_CHECKING:
    from confidant.runtime import Runtime

FORGET_USER = "finetune.forget_user"
METRICS_EVERY_SECONDS = 1.0


def schedule_user_removal(session: AsyncSession, user_id: str) -> None:
    """Delete a departing user's adapter files once their account's deletion commits
    (their key is destroyed first, so the files are unreadable already)."""
    submit(session, FORGET_USER, None, {"user_id": user_id})


@users_hooks.ACCOUNT_DELETED.subscribe
async def _forget_departing_user(session: AsyncSession, user_id: str) -> None:
    schedule_user_removal(session, user_id)


@after(rag_tasks.INDEX)
async def _start_after_indexing(rt: Runtime, _params: dict[str, Any], user_id: str | None) -> None:
    """New text is indexed: it may be enough for an automatic fine-tune."""
    if user_id is not None:
        await service.maybe_start_automatically(rt, user_id)


@handler(service.TRAIN)
async def train(
    rt: Runtime, params: dict[str, Any], user_id: str | None, progress: Progress
) -> None:
    assert user_id is not None
    model_id = params["model_id"]
    async with rt.db.transaction() as session:
        model = await session.get(FineTunedModel, model_id)
        if model is None or model.status != QUEUED:
            return
        model.status = TRAINING
        base_model, hp = model.base_model, Hyperparameters(**model.hyperparameters)
        key = await rt.keystore.user_key(user_id)
        examples = await dataset.user_examples(session, key, user_id)
    status = TrainingStatus()
    try:
        train_set, held_out = split(examples, hp.eval_fraction, hp.seed)
        packed = await _train_reporting(
            rt, model_id, base_model, hp, train_set, held_out, status, progress
        )
        location = service.adapter_files(rt).write(key, user_id, model_id, packed)
    except asyncio.CancelledError:
        await _finish(rt, model_id, CANCELLED, status, None)
        raise
    except Exception as error:
        await _finish(rt, model_id, FAILED, status, f"{type(error).__name__}: {error}"[:500])
        raise
    await _finish(rt, model_id, READY, status, None, location)


async def _train_reporting(
    rt: Runtime,
    model_id: str,
    base_model: str,
    hp: Hyperparameters,
    train_set: list[Any],
    held_out: list[Any],
    status: TrainingStatus,
    progress: Progress,
) -> bytes:
    """Train in a thread; meanwhile write its progress to the model row every second.
    Cancelling this stops the training at its next step."""
    stop = threading.Event()

    def run() -> bytes:
        trainer = LoraTrainer(
            local_source(rt.settings, base_model), hp, rt.settings.finetune_device
        )
        return trainer.run(train_set, held_out, status, stop)

    training = asyncio.ensure_future(asyncio.to_thread(run))
    try:
        while not training.done():
            await asyncio.wait({training}, timeout=METRICS_EVERY_SECONDS)
            progress.update(status.step, status.total_steps or None)
            await _write_metrics(rt, model_id, status)
        return training.result()
    finally:
        stop.set()
        with contextlib.suppress(BaseException):
            await asyncio.shield(training)


async def _write_metrics(rt: Runtime, model_id: str, status: TrainingStatus) -> None:
    async with rt.db.transaction() as session:
        await session.execute(
            update(FineTunedModel)
            .where(FineTunedModel.id == model_id)
            .values(metrics=status.as_metrics())
        )


async def _finish(
    rt: Runtime,
    model_id: str,
    state: str,
    status: TrainingStatus,
    detail: str | None,
    location: str | None = None,
) -> None:
    metrics = {**status.as_metrics(), "detail": detail}
    async with rt.db.transaction() as session:
        await session.execute(
            update(FineTunedModel)
            .where(FineTunedModel.id == model_id)
            .values(status=state, metrics=metrics, adapter_location=location, finished_at=utcnow())
        )


@handler(FORGET_USER)
async def forget_user(
    rt: Runtime, params: dict[str, Any], _user_id: str | None, _progress: Progress
) -> None:
    service.adapter_files(rt).remove_user(params["user_id"])
