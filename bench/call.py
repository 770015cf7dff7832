"""Live-call benchmark: voice-to-voice latency as LiveKit measures it, from the end of
the person's speech in the audio sent to the first non-silent frame of the reply
received, over real WebRTC between two processes, with the default models (the bundled
chat model, Whisper base on CTranslate2, the Piper voice) and the default pause.

Phases (each bounded in time; a phase that runs out prints what it measured):
0. Turn-taking offline: Silero VAD against the energy check, on Piper speech clean and
   under noise: how late each ends a turn, and whether noise keeps the turn open.
1. One call, --turns turns: p50/p95 voice-to-voice and its parts (end-of-turn wait,
   speech-to-text after the turn ended, model to first clause, text-to-speech,
   transport and playout), and the response part (end-of-turn decision to first audio).
2. Barge-in: the caller talks over --barge-ins replies; from the moment its speech
   starts going out to the last reply audio received.
3. Simultaneous calls, 1..--max-calls: the p95 each level holds.

Targets (this 2-core machine): p50 <= 1.5 s, p95 <= 2.5 s; response part p50 <= 0.7 s;
>= 3 simultaneous calls at p95 <= 2.5 s; barge-in stop p95 <= 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.calls.peer import Caller, call  # noqa: E402

from bench.api import free_port, server  # noqa: E402
from bench.bounded import wait_ready  # noqa: E402
from confidant.calls.turns import CHUNK_SECONDS, Cue, TurnDetector  # noqa: E402
from confidant.calls.vad import CHUNK, EnergyVad, SileroVad  # noqa: E402
from confidant.config import Settings  # noqa: E402
from confidant.voice import audio  # noqa: E402
from confidant.voice.audio import Pcm  # noqa: E402
from confidant.voice.engines import VoiceEngines  # noqa: E402

QUESTIONS = [
    "I slept badly last night and I feel tired.",
    "My exams start next week and I am nervous.",
    "I had a nice walk with my sister today.",
    "Work was stressful and my manager was angry.",
    "How can I relax before going to bed?",
    "I feel a bit lonely this evening.",
]
INTERRUPTION = "Sorry, wait a moment please."
MAX_NEW_TOKENS = 32
READY_SECONDS = 600  # the first start converts the bundled models
PHASE_SECONDS = {"vad": 60, "latency": 420, "barge": 240, "concurrency": 420}
TURN_SECONDS = 60  # a turn that takes longer is counted lost


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def line(name: str, values: list[float], target: str = "", unit: str = "s") -> None:
    scale = 1000 if unit == "ms" else 1
    p50, p95 = pct(values, 50) * scale, pct(values, 95) * scale
    print(
        f"  {name:<34} p50 {p50:7.0f}{unit:<2} p95 {p95:7.0f}{unit:<2} n={len(values):<3} {target}"
    )


def line_s(name: str, values: list[float], target: str = "") -> None:
    p50, p95 = pct(values, 50), pct(values, 95)
    print(f"  {name:<34} p50 {p50:7.3f} s  p95 {p95:7.3f} s  n={len(values):<3} {target}")


# phase 0


def turn_end_delay(vad_kind: str, pcm: Pcm, noise_db: float | None) -> float | None:
    """Seconds from the end of the speech to the ENDED cue (None: the turn never ended)."""
    samples = audio.resample(pcm, 16_000).samples.astype(np.float64)
    rng = np.random.default_rng(7)
    tail = np.zeros(int(3.0 * 16_000))
    signal = np.concatenate([np.zeros(8000), samples, tail])
    if noise_db is not None:
        speech_power = np.mean(samples**2)
        noise = rng.normal(0, np.sqrt(speech_power / 10 ** (noise_db / 10)), len(signal))
        signal = signal + noise
    chunks = np.clip(signal, -32768, 32767).astype(np.int16)
    vad = SileroVad() if vad_kind == "silero" else EnergyVad()
    detector = TurnDetector()
    speech_end = (8000 + len(samples)) / 16_000
    for index in range(len(chunks) // CHUNK):
        chunk = chunks[index * CHUNK : (index + 1) * CHUNK]
        if detector.feed(chunk, vad.probability(chunk)) is Cue.ENDED:
            return (index + 1) * CHUNK_SECONDS - speech_end
    return None


async def phase_vad(prompts: list[Pcm]) -> None:
    print("\n0. turn-taking offline (default pause 0.8 s): end of speech to end of turn")
    deadline = time.monotonic() + PHASE_SECONDS["vad"]
    for kind in ("silero", "energy"):
        for noise in (None, 20.0, 10.0):
            delays, open_turns = [], 0
            for pcm in prompts:
                if time.monotonic() > deadline:
                    break
                delay = await asyncio.to_thread(turn_end_delay, kind, pcm, noise)
                if delay is None:
                    open_turns += 1
                else:
                    delays.append(delay)
            label = "clean" if noise is None else f"noise at {noise:.0f} dB SNR"
            mean = statistics.mean(delays) if delays else float("nan")
            print(
                f"  {kind:>7}, {label:<18} ends the turn {mean:5.2f} s after speech; "
                f"never ends it in {open_turns}/{len(prompts)}"
            )


# phases 1-3


@dataclass
class Turn:
    voice_to_voice: float
    timings: dict[str, int]


@dataclass
class Figures:
    turns: list[Turn] = field(default_factory=list)
    lost: int = 0


async def one_turn(caller: Caller, wav: bytes) -> Turn | None:
    after = len(caller.events)
    caller.mic.say(wav)
    try:
        speaking = await caller.event("speaking", timeout=TURN_SECONDS, after=after)
        ended = caller.mic.speech_ended_at
        assert ended is not None
        deadline = time.monotonic() + 10
        while (first := caller.first_sound_after(ended)) is None:
            if time.monotonic() > deadline:
                return None
            await asyncio.sleep(0.02)
        index = caller.events.index(speaking)
        await caller.event("listening", timeout=TURN_SECONDS, after=index)
    except AssertionError:
        return None
    return Turn(first - ended, speaking["timings"])


async def talk(http: httpx.AsyncClient, wavs: list[bytes], turns: int, until: float) -> Figures:
    account = await register(http)
    chat = (await http.post("/api/chats", json={}, headers=account)).json()["id"]
    caller = await call(http, account, chat)
    figures = Figures()
    try:
        for index in range(turns):
            if time.monotonic() > until:
                break
            turn = await one_turn(caller, wavs[index % len(wavs)])
            if turn is None:
                figures.lost += 1
            else:
                figures.turns.append(turn)
            await asyncio.sleep(0.3)
    finally:
        await http.delete(f"/api/calls/{caller.call_id}", headers=account)
        await caller.close()
    return figures


async def register(http: httpx.AsyncClient) -> dict[str, str]:
    email = f"call-{os.urandom(5).hex()}@example.com"
    body = {"email": email, "password": "correct horse battery staple", "name": "Caller"}
    response = await http.post("/api/auth/register", json=body)
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['accessToken']}"}


def report_latency(figures: Figures) -> None:
    turns = figures.turns
    v2v = [t.voice_to_voice for t in turns]
    part = lambda key: [t.timings[key] / 1000 for t in turns]  # noqa: E731
    response = part("responseMs")
    transport = [
        t.voice_to_voice - (t.timings["endOfTurnMs"] + t.timings["responseMs"]) / 1000
        for t in turns
    ]
    line_s("voice to voice", v2v, "target p50 <= 1.5 s, p95 <= 2.5 s")
    line_s("  end-of-turn wait", part("endOfTurnMs"))
    line_s("  speech-to-text after the turn", part("transcribeMs"))
    line_s("  model to first clause", part("firstSentenceMs"))
    line_s("  text-to-speech of the first clause", part("synthesisMs"))
    line_s("  transport and playout", transport)
    line_s("response part (turn end to audio)", response, "target p50 <= 0.7 s")
    if figures.lost:
        print(f"  {figures.lost} turns lost (no reply audio within {TURN_SECONDS} s)")


async def phase_latency(url: str, wavs: list[bytes], turns: int) -> None:
    print(f"\n1. one call, {turns} turns")
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        figures = await talk(http, wavs, turns, time.monotonic() + PHASE_SECONDS["latency"])
    report_latency(figures)


async def phase_barge(url: str, wavs: list[bytes], interruption: bytes, count: int) -> None:
    print(f"\n2. barge-in, {count} replies talked over")
    until = time.monotonic() + PHASE_SECONDS["barge"]
    stops: list[float] = []
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        account = await register(http)
        chat = (await http.post("/api/chats", json={}, headers=account)).json()["id"]
        caller = await call(http, account, chat)
        try:
            for index in range(count):
                if time.monotonic() > until:
                    break
                after = len(caller.events)
                caller.mic.say(wavs[index % len(wavs)])
                speaking = await caller.event("speaking", timeout=TURN_SECONDS, after=after)
                await asyncio.sleep(0.6)  # into the reply
                caller.mic.say(interruption)
                heard_by = time.monotonic() + TURN_SECONDS
                while (
                    caller.mic.speech_started_at is None
                    or caller.mic.speech_started_at < speaking["at"]
                ):
                    if time.monotonic() > heard_by:
                        raise AssertionError("the interruption was never heard")
                    await asyncio.sleep(0.005)
                started = caller.mic.speech_started_at
                stopped = await caller.event("listening", timeout=10, after=after, interrupted=True)
                await caller.event(
                    "speaking", timeout=TURN_SECONDS, after=caller.events.index(stopped)
                )
                next_reply = caller.events[-1]["at"]
                loud = [
                    h.at
                    for h in caller.heard
                    if started <= h.at < next_reply - 0.05 and h.rms > 100
                ]
                window_end = min(next_reply, started + 1.5)
                loud = [at for at in loud if at < window_end]
                stops.append((max(loud) - started + 0.02) if loud else 0.0)
                await caller.event(
                    "listening", timeout=TURN_SECONDS, after=caller.events.index(stopped) + 1
                )
        finally:
            await http.delete(f"/api/calls/{caller.call_id}", headers=account)
            await caller.close()
    line("barge-in: speech starts to reply silent", stops, "target p95 <= 200 ms", unit="ms")


async def phase_concurrency(url: str, wavs: list[bytes], max_calls: int, turns: int) -> None:
    print(f"\n3. simultaneous calls, {turns} turns each")
    until = time.monotonic() + PHASE_SECONDS["concurrency"]
    held = 0
    async with httpx.AsyncClient(base_url=url, timeout=120) as http:
        for calls in range(1, max_calls + 1):
            if time.monotonic() > until:
                print("  (phase time used up)")
                break
            outcomes = await asyncio.gather(
                *(talk(http, wavs[i:] + wavs[:i], turns, until) for i in range(calls)),
                return_exceptions=True,
            )
            # a call the server could not even set up (a timeout under load) is all lost
            results = [o if isinstance(o, Figures) else Figures(lost=turns) for o in outcomes]
            v2v = [t.voice_to_voice for f in results for t in f.turns]
            lost = sum(f.lost for f in results)
            ok = bool(v2v) and pct(v2v, 95) <= 2.5 and lost == 0
            held = calls if ok and held == calls - 1 else held
            line_s(
                f"{calls} call(s) voice to voice", v2v, f"lost {lost}" + ("" if ok else "  (over)")
            )
    print(f"  simultaneous calls holding p95 <= 2.5 s: {held}   target >= 3")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--barge-ins", type=int, default=10)
    parser.add_argument("--max-calls", type=int, default=4)
    parser.add_argument("--concurrent-turns", type=int, default=4)
    args = parser.parse_args()

    voice = VoiceEngines(Settings(_env_file=None))  # type: ignore[call-arg]  # the defaults: Piper
    prompts = [await voice.synthesize(q) for q in QUESTIONS]
    wavs = [audio.to_wav(p) for p in prompts]
    interruption = audio.to_wav(await voice.synthesize(INTERRUPTION))
    await phase_vad(prompts)

    port = free_port()
    with tempfile.TemporaryDirectory(prefix="confidant-bench-call-") as data:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONFIDANT_")}
        env.update(
            CONFIDANT_DATA_DIR=data,
            CONFIDANT_LLM_MAX_NEW_TOKENS=str(MAX_NEW_TOKENS),
            CONFIDANT_LOGIN_RATE_PER_IP="100000",
            CONFIDANT_CALL_MAX_ACTIVE=str(args.max_calls + 1),
            PYTHONPATH=str(ROOT / "src"),
        )
        cache = ROOT / ".venv" / "share" / "confidant-bench-models"
        cache.mkdir(parents=True, exist_ok=True)
        os.symlink(cache, Path(data) / "models")
        migrate = [sys.executable, "-m", "confidant", "migrate"]
        subprocess.run(migrate, env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        with server("confidant.main:create_app", port, env, factory=True):
            url = f"http://127.0.0.1:{port}"
            await wait_ready(url, READY_SECONDS)
            await phase_latency(url, wavs, args.turns)
            await phase_barge(url, wavs, interruption, args.barge_ins)
            await phase_concurrency(url, wavs, args.max_calls, args.concurrent_turns)


if __name__ == "__main__":
    asyncio.run(main())
