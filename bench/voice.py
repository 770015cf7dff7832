"""Voice benchmark.

1. Real-time factor (processing time / audio time; below 1 is faster than real time) of
   every speech-to-text engine on the espeak-ng round-trip set, and its word error rate.
2. Real-time factor of every text-to-speech engine on replies of a few sentences.
3. Over a WebSocket to a running server with the tiny chat model and the offline
   engines: time from the end of an upload to the transcript, to the first text delta,
   and to the first byte of reply audio.
The Whisper and VITS models are built locally with random weights (nothing is
downloaded): their speed is that of tiny models, and their word error rate is noise.
The issue sets no targets; real time (RTF 1.0) is printed as the bar to clear.
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
import time
from pathlib import Path

import httpx
import websockets

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.voice.speech import COMMANDS, reencoded, spoken, word_error_rate  # noqa: E402
from tests.voice.tiny_models import (  # noqa: E402
    build_tiny_vits,
    build_tiny_whisper,
    convert_to_ctranslate2,
)

from bench.api import free_port, server  # noqa: E402
from bench.bounded import TURN_SECONDS, wait_ready, within  # noqa: E402
from confidant.config import Settings  # noqa: E402
from confidant.llm.tiny import build_tiny_chat_model  # noqa: E402
from confidant.voice import audio  # noqa: E402
from confidant.voice.engines import VoiceEngines  # noqa: E402

REPLIES = [
    "That sounds like a hard night. Did anything keep you awake? We can look at it together.",
    "I am glad the walk helped. What did you notice on the way? Tell me more about it.",
]
CHUNK = 4096
MAX_NEW_TOKENS = 24


def engines(work: Path, **voice: str) -> VoiceEngines:
    return VoiceEngines(Settings(_env_file=None, data_dir=work / "data", **voice))  # type: ignore[call-arg]


async def speech_to_text(work: Path, models: dict[str, Path]) -> None:
    print("\nspeech-to-text on the espeak-ng round-trip set")
    print(f"{'engine':>30} {'RTF':>7} {'WER':>6}   (target RTF < 1.0)")
    clips = [(text, audio.decode(spoken(text), 300).pcm) for text, _ in COMMANDS]
    setups = {
        "pocketsphinx": {},
        "whisper (tiny, random)": {
            "voice_stt_engine": "whisper",
            "voice_stt_model": str(models["whisper"]),
        },
        "faster-whisper (tiny, random)": {
            "voice_stt_engine": "faster-whisper",
            "voice_stt_model": str(models["ct2"]),
        },
    }
    for name, setting in setups.items():
        voice = engines(work, **setting)
        await voice.transcribe(clips[0][1])  # load and warm up
        busy = heard = 0.0
        errors = []
        for text, pcm in clips:
            started = time.perf_counter()
            said = await voice.transcribe(pcm)
            busy += time.perf_counter() - started
            heard += pcm.seconds
            errors.append(word_error_rate(text, said))
        print(f"{name:>30} {busy / heard:>7.3f} {statistics.mean(errors):>6.2f}")


async def text_to_speech(work: Path, models: dict[str, Path]) -> None:
    print("\ntext-to-speech, sentence by sentence")
    print(f"{'engine':>30} {'RTF':>7} {'ms/sentence':>12}   (target RTF < 1.0)")
    setups = {
        "espeak-ng": {},
        "vits (tiny, random)": {"voice_tts_engine": "vits", "voice_tts_model": str(models["vits"])},
    }
    sentences = [
        s for reply in REPLIES for s in reply.replace("? ", "?|").replace(". ", ".|").split("|")
    ]
    for name, setting in setups.items():
        voice = engines(work, **setting)
        await voice.synthesize("Hello.")
        busy = said = 0.0
        for sentence in sentences:
            started = time.perf_counter()
            pcm = await voice.synthesize(sentence)
            busy += time.perf_counter() - started
            said += pcm.seconds
        print(f"{name:>30} {busy / said:>7.3f} {1000 * busy / len(sentences):>12.1f}")


async def first_audio_over_websocket(work: Path, rounds: int) -> None:
    model_dir = build_tiny_chat_model(work / "tiny-model", context_window=2048)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFIDANT_")}
    env.update(
        CONFIDANT_DATA_DIR=str(work / "server"),
        CONFIDANT_LLM_MODEL=str(model_dir),
        CONFIDANT_LLM_MAX_NEW_TOKENS=str(MAX_NEW_TOKENS),
        CONFIDANT_LOGIN_RATE_PER_IP="100000",
        PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    )
    subprocess.run([sys.executable, "-m", "confidant", "migrate"], env=env, check=True, cwd=ROOT)
    port = free_port()
    upload = reencoded(spoken("I slept badly last night"), "webm")
    with server("confidant.main:create_app", port, env, factory=True):
        await wait_ready(f"http://127.0.0.1:{port}")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            registered = await http.post(
                "/api/auth/register",
                json={"email": "voice@example.com", "password": "benchmark password", "name": "B"},
            )
            token = registered.json()["accessToken"]
            chat = await http.post(
                "/api/chats", json={}, headers={"Authorization": f"Bearer {token}"}
            )
        url = f"ws://127.0.0.1:{port}/ws/chats/{chat.json()['id']}?token={token}"
        marks: dict[str, list[float]] = {
            "transcript": [],
            "first delta": [],
            "first audio byte": [],
        }
        async with websockets.connect(url, max_size=None) as ws:
            for round_ in range(rounds + 1):
                timings = await within(TURN_SECONDS, one_voice_turn(ws, upload), "a voice turn")
                if round_:  # the first round warms the engines up
                    for name, value in timings.items():
                        marks[name].append(value)
    print(f"\nWebSocket voice turn with the tiny model, {rounds} turns (ms after the upload ends)")
    print(f"{'':>20} {'p50':>8} {'max':>8}")
    for name, values in marks.items():
        print(f"{name:>20} {statistics.median(values):>8.1f} {max(values):>8.1f}")


async def one_voice_turn(ws: websockets.ClientConnection, upload: bytes) -> dict[str, float]:
    await ws.send(json.dumps({"type": "voice.start", "format": "ogg"}))
    for offset in range(0, len(upload), CHUNK):
        await ws.send(upload[offset : offset + CHUNK])
    await ws.send(json.dumps({"type": "voice.end"}))
    ended = time.perf_counter()
    timings: dict[str, float] = {}
    while True:
        frame = await ws.recv()
        elapsed = 1000 * (time.perf_counter() - ended)
        if isinstance(frame, bytes):
            timings.setdefault("first audio byte", elapsed)
            continue
        kind = json.loads(frame)["type"]
        if kind == "error":
            raise RuntimeError(frame)
        if kind == "transcript":
            timings["transcript"] = elapsed
        elif kind == "delta":
            timings.setdefault("first delta", elapsed)
        elif kind == "message":
            return timings


async def run(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="confidant-voice-bench-"))
    models = {"whisper": work / "whisper", "ct2": work / "whisper-ct2", "vits": work / "vits"}
    build_tiny_whisper(models["whisper"])
    convert_to_ctranslate2(models["whisper"], models["ct2"])
    build_tiny_vits(models["vits"])
    print(f"{os.cpu_count()} CPUs")
    await speech_to_text(work, models)
    await text_to_speech(work, models)
    await first_audio_over_websocket(work, args.rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10, help="WebSocket voice turns")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
