"""The bundled models, measured (every figure beside its target; each phase bounded).

1. Speech-to-text on 30 everyday sentences of a wellbeing conversation, each spoken by
   Piper and by espeak-ng: word error rate and real-time factor of PocketSphinx and of
   the bundled Whisper base (faster-whisper) side by side.
2. Text-to-speech: real-time factor and milliseconds to the first sentence, Piper and
   espeak-ng side by side.
3. The chat model: process start to `/readyz` 200 on a first start (conversion
   included) and a second one; time to first token and tokens/s of a turn through the
   service (SSE) against the same model called bare through transformers `generate`.
4. Memory: the server's resident set with the three default models loaded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.voice.speech import word_error_rate  # noqa: E402

from bench.api import free_port  # noqa: E402
from confidant.config import Settings  # noqa: E402
from confidant.voice import audio  # noqa: E402
from confidant.voice.engines import VoiceEngines  # noqa: E402

SENTENCES = [
    "I slept badly last night and woke up at four.",
    "My exams start on Monday and I feel nervous.",
    "Work was busy today but my team was kind.",
    "I had dinner with my family and we laughed a lot.",
    "I feel tired and I do not want to get up.",
    "My sister called me this morning.",
    "I went for a long walk in the park after lunch.",
    "The meeting with my manager went better than I expected.",
    "I keep worrying about money at the end of the month.",
    "I finished my essay and sent it to my teacher.",
    "My mother is in hospital and I am worried about her.",
    "I drank too much coffee and now I cannot relax.",
    "We had an argument at home and nobody is talking.",
    "I started running again and it helps my mood.",
    "I feel lonely since my best friend moved away.",
    "Today I was proud of myself for speaking up.",
    "My back hurts after sitting at the desk all day.",
    "I want to read more books and spend less time on my phone.",
    "The train was late again and I missed my class.",
    "I cooked a new recipe and it tasted good.",
    "I cannot stop thinking about what she said.",
    "My grandfather told me stories about his childhood.",
    "I feel calmer after writing in my diary.",
    "I have a job interview next week.",
    "My children were happy when we went to the beach.",
    "I am trying to go to bed before eleven.",
    "The doctor said my blood pressure is fine.",
    "I felt anxious in the supermarket and had to leave.",
    "We planted tomatoes in the garden this weekend.",
    "I would like to feel more confident at work.",
]
REPLY = (
    "That sounds like a hard night. Did anything keep you awake? "
    "We can look at it together. Small steps help."
)
PROMPT = "I slept badly last night and I feel tired. What could help me tonight?"
MAX_NEW_TOKENS = 64
PHASE_SECONDS = 600
GIB = 1024**3


def row(name: str, *cells: str) -> None:
    print(f"{name:>34} " + " ".join(f"{cell:>12}" for cell in cells))


def engines(work: Path, **voice: str | None) -> VoiceEngines:
    return VoiceEngines(Settings(_env_file=None, data_dir=work, **voice))  # type: ignore[arg-type]


PIPER: dict[str, str | None] = {}  # the defaults
ESPEAK = {"voice_tts_engine": "espeak-ng", "voice_tts_model": None}
POCKETSPHINX = {"voice_stt_engine": "pocketsphinx", "voice_stt_model": None}


async def speech_to_text(work: Path) -> None:
    print(f"\n1. speech-to-text, {len(SENTENCES)} sentences spoken by two voices")
    row("engine on voice", "WER", "RTF", "target")
    deadline = time.monotonic() + PHASE_SECONDS
    clips = {}
    for voice_name, setting in (("piper", PIPER), ("espeak-ng", ESPEAK)):
        tts = engines(work, **setting)
        clips[voice_name] = [
            audio.decode(audio.to_wav(await tts.synthesize(s)), 60).pcm for s in SENTENCES
        ]
    for engine_name, setting in (("faster-whisper base", {}), ("pocketsphinx", POCKETSPHINX)):
        stt = engines(work, **setting)
        await stt.transcribe(clips["piper"][0])  # load and warm up
        errors: list[float] = []
        busy = heard = 0.0
        for voice_name, pcms in clips.items():
            voice_errors = []
            voice_busy = voice_heard = 0.0
            for sentence, pcm in zip(SENTENCES, pcms, strict=True):
                if time.monotonic() > deadline:
                    break
                started = time.perf_counter()
                said = await stt.transcribe(pcm)
                voice_busy += time.perf_counter() - started
                voice_heard += pcm.seconds
                voice_errors.append(word_error_rate(normal(sentence), normal(said)))
            target = "<= 0.10/0.3" if engine_name.startswith("faster") else ""
            name = f"{engine_name} on {voice_name}"
            wer = statistics.mean(voice_errors)
            row(name, f"{wer:.3f}", f"{voice_busy / voice_heard:.3f}", target)
            errors += voice_errors
            busy, heard = busy + voice_busy, heard + voice_heard
        row(f"{engine_name}, both voices", f"{statistics.mean(errors):.3f}", f"{busy / heard:.3f}")


def normal(text: str) -> str:
    return " ".join(
        "".join(c for c in word if c.isalnum() or c == "'") for word in text.lower().split()
    )


async def text_to_speech(work: Path) -> None:
    print("\n2. text-to-speech, a reply of four sentences")
    row("engine", "RTF", "first ms", "target")
    sentences = [s.strip() + "." for s in REPLY.replace("?", ".").split(".") if s.strip()]
    for name, setting in (("piper", PIPER), ("espeak-ng", ESPEAK)):
        tts = engines(work, **setting)
        await tts.synthesize("Hello.")  # load
        busy = said = 0.0
        first = None
        for sentence in sentences:
            started = time.perf_counter()
            pcm = await tts.synthesize(sentence)
            took = time.perf_counter() - started
            first = took if first is None else first
            busy, said = busy + took, said + pcm.seconds
        row(
            name,
            f"{busy / said:.3f}",
            f"{1000 * (first or 0):.0f}",
            "<= 0.2" if name == "piper" else "",
        )


@contextmanager
def serving(data_dir: Path, port: int) -> Iterator[tuple[subprocess.Popen[bytes], float]]:
    """`confidant serve` with the defaults; yields the process and seconds to /readyz 200."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFIDANT_")}
    env.update(
        CONFIDANT_DATA_DIR=str(data_dir),
        CONFIDANT_LLM_TEMPERATURE="0",
        CONFIDANT_LLM_MAX_NEW_TOKENS=str(MAX_NEW_TOKENS),
        CONFIDANT_LOGIN_RATE_PER_IP="100000",
    )
    subprocess.run([sys.executable, "-m", "confidant", "migrate"], env=env, check=True, cwd=ROOT)
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "confidant", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.monotonic() - started < PHASE_SECONDS:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None:
                raise RuntimeError("the server exited")
            time.sleep(0.1)
        else:
            raise RuntimeError("the server was not ready in time")
        yield process, time.monotonic() - started
    finally:
        process.terminate()
        process.wait(timeout=60)


async def service_turn(url: str) -> tuple[float, float, str]:
    """Seconds to the first delta and in all, and the reply, of one SSE turn."""
    async with httpx.AsyncClient(base_url=url, timeout=120) as http:
        account = await http.post(
            "/api/auth/register",
            json={
                "email": f"b{time.time_ns()}@example.com",
                "password": "bench password 1",
                "name": "Bench",
            },
        )
        assert account.status_code == 201, account.text
        headers = {"Authorization": f"Bearer {account.json()['accessToken']}"}
        chat = (await http.post("/api/chats", json={}, headers=headers)).json()
        started = time.perf_counter()
        first = None
        parts, event = [], ""
        async with http.stream(
            "POST",
            "/api/messages",
            json={"chatId": chat["id"], "content": PROMPT},
            headers={**headers, "Accept": "text/event-stream"},
        ) as response:
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    event = line.removeprefix("event: ")
                elif line.startswith("data: ") and event == "delta":
                    first = first or time.perf_counter() - started
                    parts.append(json.loads(line.removeprefix("data: "))["content"])
        return first or 0.0, time.perf_counter() - started, "".join(parts)


def bare_generate(model_dir: Path) -> tuple[float, float, int]:
    """Seconds to the first token and in all, and tokens, of `generate` on the same model."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, TextIteratorStreamer

    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(model_dir, local_files_only=True).eval()
    messages = [{"role": "user", "content": PROMPT}]
    inputs = tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
    )
    streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)
    out: dict[str, torch.Tensor] = {}

    def work() -> None:
        with torch.inference_mode():
            out["ids"] = model.generate(
                **inputs, streamer=streamer, max_new_tokens=MAX_NEW_TOKENS, do_sample=False
            )

    started = time.perf_counter()
    thread = threading.Thread(target=work)
    thread.start()
    first = None
    for piece in streamer:
        if piece and first is None:
            first = time.perf_counter() - started
    thread.join()
    total = time.perf_counter() - started
    return first or 0.0, total, int(out["ids"].shape[-1] - inputs["input_ids"].shape[-1])


def rss(process: subprocess.Popen[bytes]) -> int:
    return int(psutil.Process(process.pid).memory_info().rss)


def tokens_in(model_dir: Path) -> Callable[[str], int]:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    return lambda text: len(tokenizer(text, add_special_tokens=False)["input_ids"])


async def chat_and_memory(work: Path, turns: int) -> None:
    print("\n3. the bundled chat model, and 4. memory")
    data_dir = work / "server"
    port = free_port()
    with serving(data_dir, port) as (_, first_start):
        pass
    with serving(data_dir, port) as (process, second_start):
        url = f"http://127.0.0.1:{port}"
        await service_turn(url)  # warm up
        served = [await service_turn(url) for _ in range(turns)]
        resident = rss(process)
    model_dir = data_dir / "models" / "smollm2-135m-instruct"
    count = tokens_in(model_dir)
    bare_generate(model_dir)  # warm up
    bare = [bare_generate(model_dir) for _ in range(turns)]
    row("", "value", "target")
    row("first start to /readyz 200 (s)", f"{first_start:.1f}", "printed")
    row("second start to /readyz 200 (s)", f"{second_start:.1f}", "<= 15")
    service_ttft = statistics.median(t for t, _, _ in served)
    service_rate = statistics.median(
        count(text) / max(1e-6, total - ttft) for ttft, total, text in served
    )
    bare_ttft = statistics.median(t for t, _, _ in bare)
    bare_rate = statistics.median(tokens / max(1e-6, total - t) for t, total, tokens in bare)
    row("time to first token, service (ms)", f"{1000 * service_ttft:.0f}")
    row("time to first token, bare (ms)", f"{1000 * bare_ttft:.0f}")
    row("tokens/s, service", f"{service_rate:.1f}")
    row("tokens/s, bare generate", f"{bare_rate:.1f}")
    row("tokens/s ratio service/bare", f"{service_rate / bare_rate:.2f}", ">= 0.9")
    row("server RSS, models loaded (GiB)", f"{resident / GIB:.2f}", "<= 2")


async def run(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="confidant-models-bench-"))
    print(f"{os.cpu_count()} CPUs; work in {work}")
    phases = set(args.phases.split(","))
    if "stt" in phases:
        await speech_to_text(work / "voice")
    if "tts" in phases:
        await text_to_speech(work / "voice")
    if "chat" in phases:
        await chat_and_memory(work, args.turns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=3, help="chat turns measured each way")
    parser.add_argument("--phases", default="stt,tts,chat", help="which phases to run")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
