"""The serving residency: an adapter answers the same whether it is alone on its base
model or one of several resident (after evictions), and the base model is untouched."""

from __future__ import annotations

import threading
from pathlib import Path

from confidant.finetune.training import Hyperparameters, LoraTrainer, TrainingStatus
from confidant.llm.adapters import AdapterRef
from confidant.llm.admission import Admission
from confidant.llm.base import GenerationParams
from confidant.llm.huggingface_connection import HuggingFaceChatModel
from tests.conftest import TINY_MODEL_DIR

GREEDY = GenerationParams(max_new_tokens=10, temperature=0.0, top_p=1.0)
PROMPT = [{"role": "user", "content": "hello how are you feeling today"}]


def packed_adapter(seed: int) -> bytes:
    data = [[{"role": "user", "content": f"note {seed} {i} " * 6}] for i in range(6)]
    trainer = LoraTrainer(
        str(TINY_MODEL_DIR), Hyperparameters(learning_rate=1e-2, max_steps=3, seed=seed)
    )
    return trainer.run(data[:5], data[5:], TrainingStatus(), threading.Event())


def ref(name: str, packed: bytes) -> AdapterRef:
    async def load() -> bytes:
        return packed

    return AdapterRef(name, load)


async def answer(model: HuggingFaceChatModel, adapter: AdapterRef | None) -> str:
    return "".join([piece async for piece in model.stream(PROMPT, GREEDY, adapter)])


def served(capacity: int) -> HuggingFaceChatModel:
    return HuggingFaceChatModel(
        str(TINY_MODEL_DIR), device="cpu", admission=Admission(4, 8), max_resident_adapters=capacity
    )


async def test_adapters_answer_alike_alone_or_crowded(tiny_model_dir: Path) -> None:
    adapters = [ref(f"adapter-{seed}", packed_adapter(seed)) for seed in range(3)]
    alone = []
    for adapter in adapters:
        alone.append(await answer(served(1), adapter))
    base_alone = await answer(served(1), None)
    assert len({*alone, base_alone}) == 4

    crowded = served(2)
    for _ in range(2):  # the third load evicts the least recently used; then back again
        for adapter, expected in zip(adapters, alone, strict=True):
            assert await answer(crowded, adapter) == expected
        assert await answer(crowded, None) == base_alone
    assert len(crowded.adapters.resident) == 2
    assert crowded.adapters.loads == 6  # capacity 2 of 3, in rotation: every one cold


def refusing(*_: object, **__: object) -> None:
    """What transformers 5.24 does with peft 0.21 on every adapter call."""
    raise ValueError("The version of PEFT you are using is not compatible, please use >= 0.22")


async def test_an_adapter_that_fails_to_apply_falls_back_to_the_base_model(
    tiny_model_dir: Path,
) -> None:
    model = served(2)
    base = await answer(model, None)
    good = ref("good", packed_adapter(1))
    personal = await answer(model, good)
    failures: list[str] = []

    async def record(reason: str) -> None:
        failures.append(reason)

    async def corrupt() -> bytes:
        return b"not an adapter archive"

    broken = AdapterRef("broken", corrupt, record)
    assert await answer(model, broken) == base
    assert len(failures) == 1
    assert "ReadError" in failures[0]
    assert await answer(model, broken) == base  # not tried again
    assert len(failures) == 1
    assert await answer(model, good) == personal
    assert await answer(model, None) == base


async def test_a_transformers_that_refuses_peft_harms_no_base_model_reply(
    tiny_model_dir: Path,
) -> None:
    """The defect: once one user's adapter was loaded, every reply answered 500."""
    model = served(2)
    base = await answer(model, None)
    packed = packed_adapter(2)
    model.model.enable_adapters = refusing  # type: ignore[method-assign]
    model.model.disable_adapters = refusing  # type: ignore[method-assign]
    failures: list[str] = []

    async def record(reason: str) -> None:
        failures.append(reason)

    async def load() -> bytes:
        return packed

    assert await answer(model, AdapterRef("refused", load, record)) == base
    assert failures
    assert "not compatible" in failures[0]
    for _ in range(2):
        assert await answer(model, None) == base
