"""Fine-tuning and adapter serving benchmark, with models built locally (random weights).

1. LoRA training throughput (tokens/s) through the service's trainer, for the tiny test
   model and for a ~100M-parameter Llama-shaped model.
2. Adapter switch time p50 through the serving residency: to an adapter already
   resident, and a cold load (read from DATA_DIR, decrypt, unpack, attach; one evicted).
3. Generation with an adapter active versus none on the ~100M model, served through the
   same streaming path, rounds alternated in one run: the slowdown as a ratio.

    python bench/finetune.py [--quick] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from confidant.crypto.envelope import DataKey, generate_key  # noqa: E402
from confidant.finetune.storage import AdapterFiles  # noqa: E402
from confidant.finetune.training import (  # noqa: E402
    Hyperparameters,
    LoraTrainer,
    TrainingStatus,
    split,
)
from confidant.llm.adapters import AdapterRef  # noqa: E402
from confidant.llm.admission import Admission  # noqa: E402
from confidant.llm.base import GenerationParams  # noqa: E402
from confidant.llm.huggingface_connection import HuggingFaceChatModel  # noqa: E402
from confidant.llm.tiny import build_tiny_chat_model  # noqa: E402

MEDIUM = {"hidden_size": 768, "layers": 12, "intermediate_size": 2560, "heads": 12}
SENTENCES = [
    "Walked the dog by the canal and felt calmer afterwards.",
    "Slept badly, woke at four and worried about the presentation.",
    "Called my sister; we laughed about the summer we spent in Porto.",
    "Skipped lunch again. Must remember to eat before the afternoon meetings.",
]


def examples(count: int) -> list[list[dict[str, str]]]:
    return [
        [
            {"role": "user", "content": " ".join(SENTENCES[(i + k) % 4] for k in range(4))},
            {"role": "assistant", "content": "That sounds like a full day. How are you now?"},
        ]
        for i in range(count)
    ]


def parameters(model_dir: Path) -> int:
    from transformers import AutoModelForCausalLM

    return sum(p.numel() for p in AutoModelForCausalLM.from_pretrained(model_dir).parameters())


def training_throughput(model_dir: Path, steps: int, device: str) -> tuple[float, TrainingStatus]:
    hp = Hyperparameters(batch_size=4, max_length=256, max_steps=steps, epochs=10)
    train, held_out = split(examples(4 * steps + 4), 0.1, 0)
    trainer = LoraTrainer(str(model_dir), hp, device)
    trainer.run(train[:4], held_out[:1], TrainingStatus(), threading.Event())  # warm-up
    trainer = LoraTrainer(str(model_dir), hp, device)
    status = TrainingStatus()
    trainer.run(train, held_out, status, threading.Event())
    return status.train_tokens / status.seconds, status


def make_adapters(model_dir: Path, count: int, store: AdapterFiles, key: DataKey) -> list[str]:
    """`count` adapters (one training step each), stored encrypted like the service's."""
    hp = Hyperparameters(max_steps=1, max_length=64, seed=0)
    data = examples(8)
    locations = []
    for index in range(count):
        trainer = LoraTrainer(str(model_dir), Hyperparameters(**{**hp.__dict__, "seed": index}))
        packed = trainer.run(data[:6], data[6:], TrainingStatus(), threading.Event())
        locations.append(store.write(key, "bench-user", f"adapter-{index}", packed))
    return locations


async def switch_times(
    model: HuggingFaceChatModel, refs: list[AdapterRef], rounds: int
) -> tuple[list[float], list[float]]:
    """Entering `use()` for a resident adapter, and for a cold one (capacity 2, so each
    cold load evicts)."""
    residency = model.adapters
    warm, cold = [], []
    resident_pair = refs[:2]
    for _ in range(rounds):
        for ref in resident_pair:  # both resident: a switch is set_adapter only
            async with residency.use(ref):
                pass
        for ref in resident_pair:
            started = time.perf_counter()
            async with residency.use(ref):
                warm.append(time.perf_counter() - started)
    for ref in refs[2:]:
        started = time.perf_counter()
        async with residency.use(ref):
            cold.append(time.perf_counter() - started)
    return warm, cold


async def generation_ratio(
    model: HuggingFaceChatModel, ref: AdapterRef, rounds: int, tokens: int
) -> tuple[float, float]:
    params = GenerationParams(max_new_tokens=tokens, temperature=0.0, top_p=1.0)
    messages = [{"role": "user", "content": SENTENCES[0]}]
    rates: dict[str, list[float]] = {"none": [], "adapter": []}
    for _ in range(rounds):
        for label, adapter in (("none", None), ("adapter", ref)):
            before = model.tokens_generated
            started = time.perf_counter()
            async for _piece in model.stream(messages, params, adapter):
                pass
            rates[label].append((model.tokens_generated - before) / (time.perf_counter() - started))
    return statistics.median(rates["none"]), statistics.median(rates["adapter"])


def milliseconds(values: list[float]) -> str:
    return f"p50 {statistics.median(values) * 1000:.2f} ms (n={len(values)})"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer steps and rounds")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    steps = 4 if args.quick else 12
    rounds = 5 if args.quick else 20
    work = Path(tempfile.mkdtemp(prefix="confidant-bench-finetune-"))
    tiny = build_tiny_chat_model(work / "tiny", context_window=1024)
    medium = build_tiny_chat_model(work / "medium", context_window=1024, **MEDIUM)
    print(f"models: tiny {parameters(tiny):,} parameters, medium {parameters(medium):,}")
    print(f"device: {args.device}, torch threads: {os.cpu_count()} cpus")

    for label, model_dir, model_steps in (("tiny", tiny, steps * 10), ("~100M", medium, steps)):
        rate, status = training_throughput(model_dir, model_steps, args.device)
        print(
            f"training {label:>6}: {rate:,.0f} tokens/s  ({status.step} steps of 4 examples, "
            f"{status.train_tokens} tokens, {status.seconds:.1f} s)"
        )

    key = DataKey(generate_key())
    store = AdapterFiles(work / "adapters")
    served = HuggingFaceChatModel(
        str(medium), device=args.device, admission=Admission(4, 32), max_resident_adapters=2
    )
    locations = make_adapters(medium, 2 + rounds, store, key)

    def ref(index: int) -> AdapterRef:
        async def load() -> bytes:
            return store.read(key, locations[index], f"adapter-{index}")

        return AdapterRef(f"adapter-{index}", load)

    refs = [ref(i) for i in range(len(locations))]
    warm, cold = await switch_times(served, refs, rounds)
    print(f"adapter switch, resident: {milliseconds(warm)}")
    print(f"adapter switch, cold load (read, decrypt, unpack, attach, evict): {milliseconds(cold)}")

    none, with_adapter = await generation_ratio(served, refs[-1], rounds, 32)
    print(
        f"generation ~100M: {none:.1f} tokens/s without adapter, {with_adapter:.1f} with; "
        f"ratio with/without = {with_adapter / none:.2f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
