"""LoRA training on one user's conversations, with PEFT. No database, no HTTP: examples
in, a packed adapter and its metrics out. Blocking: run it in a thread."""

from __future__ import annotations

import io
import math
import random
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from confidant.kit.imports import ML_IMPORT_LOCK
from confidant.llm.adapters import CONFIG_FILE, WEIGHTS_FILE
from confidant.llm.base import ChatMessage
from confidant.llm.huggingface_connection import pick_device

Example = list[ChatMessage]


@dataclass(frozen=True)
class Hyperparameters:
    rank: int = 8
    alpha: int = 16
    dropout: float = 0.05
    learning_rate: float = 2e-4
    epochs: int = 2
    batch_size: int = 4
    max_length: int = 512
    eval_fraction: float = 0.1
    max_steps: int | None = None
    seed: int = 0


@dataclass
class TrainingStatus:
    """What a run reports as it goes; read by another thread (plain fields only)."""

    step: int = 0
    total_steps: int = 0
    loss: float | None = None
    eval_loss: float | None = None
    eval_loss_before: float | None = None
    train_examples: int = 0
    eval_examples: int = 0
    train_tokens: int = 0
    seconds: float = 0.0
    eta_seconds: float | None = None
    history: list[dict[str, float]] = field(default_factory=list)

    def as_metrics(self) -> dict[str, Any]:
        return asdict(self)


class Cancelled(Exception):
    pass


class NotEnoughData(ValueError):
    pass


def split(
    examples: list[Example], fraction: float, seed: int
) -> tuple[list[Example], list[Example]]:
    """A held-out evaluation set: at least one example, never all of them."""
    if len(examples) < 2:
        raise NotEnoughData("need at least two conversations or diary entries to train on")
    shuffled = examples[:]
    random.Random(seed).shuffle(shuffled)
    held_out = min(len(shuffled) - 1, max(1, round(len(shuffled) * fraction)))
    return shuffled[held_out:], shuffled[:held_out]


class LoraTrainer:
    """Loads a base model with a fresh LoRA adapter; `run` trains it and returns the
    packed adapter."""

    def __init__(self, base_model: str, hp: Hyperparameters, device: str = "auto") -> None:
        with ML_IMPORT_LOCK:
            import torch
            from peft import LoraConfig, get_peft_model
            from transformers import AutoModelForCausalLM, AutoTokenizer

        self.hp = hp
        self.device = pick_device(device)
        torch.manual_seed(hp.seed)
        self.tokenizer = AutoTokenizer.from_pretrained(base_model, local_files_only=True)
        if self.tokenizer.chat_template is None:
            raise ValueError(f"{base_model} has no chat template; use an instruct/chat model")
        base = AutoModelForCausalLM.from_pretrained(
            base_model, dtype=torch.float32, local_files_only=True
        )
        config = LoraConfig(
            r=hp.rank,
            lora_alpha=hp.alpha,
            lora_dropout=hp.dropout,
            target_modules="all-linear",
            task_type="CAUSAL_LM",
        )
        self.model = get_peft_model(base, config).to(torch.device(self.device))

    def encode(self, examples: list[Example]) -> list[list[int]]:
        encoded: list[list[int]] = []
        for messages in examples:
            templated: Any = self.tokenizer.apply_chat_template(
                messages, tokenize=True, return_dict=False
            )
            ids = [int(i) for i in templated][: self.hp.max_length]
            if len(ids) > 1:
                encoded.append(ids)
        return encoded

    def run(
        self,
        train: list[Example],
        held_out: list[Example],
        status: TrainingStatus,
        stop: threading.Event,
        on_step: Callable[[TrainingStatus], None] = lambda _: None,
    ) -> bytes:
        import torch

        hp = self.hp
        train_ids, eval_ids = self.encode(train), self.encode(held_out)
        if not train_ids or not eval_ids:
            raise NotEnoughData("the conversations are too short to train on")
        batches_per_epoch = math.ceil(len(train_ids) / hp.batch_size)
        total = batches_per_epoch * hp.epochs
        status.total_steps = min(total, hp.max_steps) if hp.max_steps else total
        status.train_examples, status.eval_examples = len(train_ids), len(eval_ids)
        status.eval_loss_before = self.evaluate(eval_ids)
        status.eval_loss = status.eval_loss_before
        optimizer = torch.optim.AdamW(
            [p for p in self.model.parameters() if p.requires_grad], lr=hp.learning_rate
        )
        order = random.Random(hp.seed)
        started = time.perf_counter()
        while status.step < status.total_steps:
            shuffled = train_ids[:]
            order.shuffle(shuffled)
            for start in range(0, len(shuffled), hp.batch_size):
                if stop.is_set():
                    raise Cancelled()
                if status.step >= status.total_steps:
                    break
                batch = shuffled[start : start + hp.batch_size]
                status.loss = self._train_step(optimizer, batch)
                status.step += 1
                status.train_tokens += sum(len(ids) for ids in batch)
                status.seconds = time.perf_counter() - started
                remaining = status.total_steps - status.step
                status.eta_seconds = status.seconds / status.step * remaining
                if status.step % batches_per_epoch == 0 or remaining == 0:
                    status.eval_loss = self.evaluate(eval_ids)
                    status.history.append(
                        {"step": status.step, "loss": status.loss, "evalLoss": status.eval_loss}
                    )
                on_step(status)
        return self.pack()

    def _train_step(self, optimizer: Any, batch: list[list[int]]) -> float:
        self.model.train()
        inputs = self._collate(batch)
        loss = self.model(**inputs).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return float(loss.item())

    def evaluate(self, eval_ids: list[list[int]]) -> float:
        """Mean token loss over the held-out examples."""
        import torch

        self.model.eval()
        total_loss, total_tokens = 0.0, 0
        with torch.no_grad():
            for start in range(0, len(eval_ids), self.hp.batch_size):
                batch = eval_ids[start : start + self.hp.batch_size]
                inputs = self._collate(batch)
                tokens = int((inputs["labels"][:, 1:] != -100).sum())
                total_loss += float(self.model(**inputs).loss) * tokens
                total_tokens += tokens
        return total_loss / max(total_tokens, 1)

    def _collate(self, batch: list[list[int]]) -> dict[str, Any]:
        import torch

        width = max(len(ids) for ids in batch)
        pad = self.tokenizer.pad_token_id or 0
        input_ids = torch.full((len(batch), width), pad, dtype=torch.long)
        attention = torch.zeros((len(batch), width), dtype=torch.long)
        for row, ids in enumerate(batch):
            input_ids[row, : len(ids)] = torch.tensor(ids)
            attention[row, : len(ids)] = 1
        labels = input_ids.masked_fill(attention == 0, -100)
        device = torch.device(self.device)
        return {
            "input_ids": input_ids.to(device),
            "attention_mask": attention.to(device),
            "labels": labels.to(device),
        }

    def pack(self) -> bytes:
        """The adapter as PEFT saves it (config and safetensors), in one tar archive."""
        with tempfile.TemporaryDirectory() as directory:
            self.model.save_pretrained(directory)
            buffer = io.BytesIO()
            with tarfile.open(fileobj=buffer, mode="w") as archive:
                for name in (CONFIG_FILE, WEIGHTS_FILE):
                    archive.add(Path(directory) / name, arcname=name)
        return buffer.getvalue()
