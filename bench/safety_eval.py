"""Crisis-screen quality on the evaluation set (bench/data/crisis_eval/{train,dev,test}.jsonl).

Each item is a person's messages in one conversation (one turn or several), labelled
crisis (with its C-SSRS category) or benign (with the kind of hard negative). Every turn
is screened with the earlier turns as history, as the reply pipeline does. A crisis item
is caught when some turn up to its last is flagged; a benign item is a false positive
when any of its turns is flagged. Prints recall per category and per language, the
false-positive rate per benign category and per language, overall figures and the
screening time per message, each beside its target. Prints figures only, never an
item's text, so running it on the held-out split leaks nothing to whoever tunes.

    PYTHONPATH=src python bench/safety_eval.py [--split test|dev|train] [--show-misses]

Tune on train, dev and extra (bench/data/crisis_eval/extra/, five writers, one language
each) only; the test split is held out. The semantic layer is trained on all three
(bench/crisis_semantic_train.py); --phrases-only measures the phrases alone.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from confidant.safety.crisis import CrisisScreen, CrisisSignal  # noqa: E402
from confidant.safety.semantic import SemanticLayer  # noqa: E402

DATA = ROOT / "bench" / "data" / "crisis_eval"
TARGET_RECALL = 0.98
TARGET_RECALL_LANGUAGE = 0.95
TARGET_FPR = 0.05
TARGET_P50_MS = 5.0
TIME_LIMIT_S = 300.0  # ends by itself whatever the set's size
TURN_COST_ROUNDS = 40
TURN_COST_ROUNDS_IN_PROCESS = 120  # cheaper rounds, and a difference of a few ms to resolve
TURN_COST_LIMIT_S = 300.0
EVERYDAY = [  # ordinary messages, each new to the screen's cache
    "I slept badly again and I feel anxious about tomorrow's meeting, number {}",
    "went for a long walk by the river today, step count {}",
    "my sister visited and we cooked dinner together, batch {}",
    "work was stressful but I managed to finish report {}",
]


def load(split: str) -> list[dict[str, object]]:
    paths = (
        sorted((DATA / "extra").glob("*.jsonl")) if split == "extra" else [DATA / f"{split}.jsonl"]
    )
    if not all(path.exists() for path in paths) or not paths:
        raise SystemExit(f"no {split} split in {DATA}: copy it there first")
    return [
        json.loads(line)
        for path in paths
        for line in path.read_text(encoding="utf-8").splitlines()
        if line
    ]


def run_item(screen: CrisisScreen, turns: list[str], timings: list[float]) -> bool:
    flagged = False
    for index, text in enumerate(turns):
        started = time.perf_counter()
        signal = screen.screen(text, turns[:index])
        timings.append((time.perf_counter() - started) * 1000)
        flagged = flagged or signal is not None
    return flagged


def mark(ok: bool) -> str:
    return "ok" if ok else "BELOW TARGET"


def rate(values: list[bool]) -> float:
    return sum(values) / len(values) if values else float("nan")


def print_rates(
    title: str, groups: dict[str, list[bool]], meets: Callable[[float], bool] | None = None
) -> None:
    """One line per group: its rate, its counts and, with `meets`, the target's verdict."""
    print(title)
    for name, values in sorted(groups.items()):
        verdict = f"  {mark(meets(rate(values)))}" if meets else ""
        print(f"  {name:<18} {rate(values):.3f}  ({sum(values)}/{len(values)}){verdict}")


async def turn_cost(rounds: int, model: str) -> None:
    """What the semantic layer adds to a chat turn: two servers on the same machine, one
    with it and one without, asked in turn; the client's time to the first reply text.
    `model`: a tiny random model (the screen's share is largest) or the bundled one."""
    import httpx

    from bench.api import free_port, server
    from bench.bounded import wait_ready
    from bench.chat import setup_user, sse_ttft
    from confidant.llm.tiny import build_tiny_chat_model

    work = Path(tempfile.mkdtemp(prefix="confidant-screen-bench-"))
    model_dir = (
        build_tiny_chat_model(work / "tiny-model", context_window=2048) if model == "tiny" else None
    )
    samples: dict[str, list[float]] = {"with": [], "without": []}
    with contextlib.ExitStack() as stack:
        ports = {}
        for name in samples:
            env = {k: v for k, v in os.environ.items() if not k.startswith("CONFIDANT_")}
            env.update(
                CONFIDANT_DATA_DIR=str(work / name),
                CONFIDANT_LLM_MAX_NEW_TOKENS="8",
                CONFIDANT_CRISIS_SEMANTIC="true" if name == "with" else "false",
                PYTHONPATH=str(ROOT / "src"),
            )
            if model_dir is not None:
                env["CONFIDANT_LLM_MODEL"] = str(model_dir)
            command = [sys.executable, "-m", "confidant", "migrate"]
            subprocess.run(command, env=env, check=True, cwd=ROOT, capture_output=True)
            ports[name] = free_port()
            stack.enter_context(server("confidant.main:create_app", ports[name], env, True))
        deadline = time.monotonic() + TURN_COST_LIMIT_S
        async with httpx.AsyncClient(timeout=120) as http:
            users = {}
            for name, port in ports.items():
                base = f"http://127.0.0.1:{port}"
                await wait_ready(base)
                token, (chat,) = await setup_user(base, 1)
                users[name] = (base, token, chat)
            for index in range(rounds + 2):
                if time.monotonic() > deadline:
                    print(f"turn cost: stopped at the time limit after {index} rounds")
                    break
                order = list(users.items())
                for name, (base, token, chat) in order if index % 2 else order[::-1]:
                    text = EVERYDAY[index % len(EVERYDAY)].format(index)
                    http.base_url = httpx.URL(base)
                    took = await sse_ttft(http, token, chat, text)
                    if index >= 2:  # two warm-up rounds
                        samples[name].append(took)
    report_turn_cost(samples, f"{model} model, two servers")


async def turn_cost_in_process(rounds: int) -> None:
    """What the semantic layer adds to a chat turn, in one process: the app's own reply
    pipeline on the tiny model, each round one turn with the classifier and one without
    (the same screen, its classifier set aside), who goes first flipping with each cycle
    of the messages; the time from the ask to the first reply text. With no HTTP and no
    second server, what differs between the two turns is the layer alone."""
    import httpx

    from confidant.auth.models import User
    from confidant.companion.channels import chat_turn
    from confidant.companion.events import Delta
    from confidant.config import Settings
    from confidant.llm.tiny import build_tiny_chat_model
    from confidant.main import create_app

    work = Path(tempfile.mkdtemp(prefix="confidant-screen-inproc-"))
    model_dir = build_tiny_chat_model(work / "tiny-model", context_window=2048)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFIDANT_")}
    env.update(CONFIDANT_DATA_DIR=str(work / "data"), PYTHONPATH=str(ROOT / "src"))
    command = [sys.executable, "-m", "confidant", "migrate"]
    subprocess.run(command, env=env, check=True, cwd=ROOT, capture_output=True)
    settings = Settings(
        data_dir=work / "data",
        llm_model=str(model_dir),
        llm_max_new_tokens=8,
        crisis_semantic=True,
        jobs_worker="external",
    )
    app = create_app(settings)
    samples: dict[str, list[float]] = {"with": [], "without": []}
    deadline = time.monotonic() + TURN_COST_LIMIT_S
    async with app.router.lifespan_context(app):
        rt = app.state.runtime
        layer = rt.crisis.classifier
        screen_calls: dict[str, list[float]] = {"with": [], "without": []}
        screening = rt.crisis.screen

        def timed_screen(text: str, history: Sequence[str] = ()) -> CrisisSignal | None:
            """The screen's own call, as the pipeline makes it (its thread included)."""
            started = time.perf_counter()
            try:
                return screening(text, history)
            finally:
                taken = 1000 * (time.perf_counter() - started)
                screen_calls["with" if rt.crisis.classifier else "without"].append(taken)

        rt.crisis.screen = timed_screen  # type: ignore[method-assign]
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            while (await http.get("/readyz")).status_code != 200:
                if time.monotonic() > deadline:
                    raise SystemExit("turn cost (in process): the model was not ready in time")
                await asyncio.sleep(0.2)
            email = f"bench-{time.time_ns()}@example.com"
            registered = await http.post(
                "/api/auth/register",
                json={"email": email, "password": "benchmark password", "name": "Bench"},
            )
            headers = {"Authorization": f"Bearer {registered.json()['accessToken']}"}
            chat = (await http.post("/api/chats", json={}, headers=headers)).json()["id"]
        user_id = rt.tokens.decode(registered.json()["accessToken"], "access")["sub"]
        async with rt.db.transaction() as session:
            user = await session.get(User, user_id)
        assert user is not None

        async def first_text_ms(text: str) -> float:
            started = time.perf_counter()
            took: float | None = None
            _, events = chat_turn(rt, user, chat, text)
            async for event in events:  # to the end: the turn is kept before the next
                if isinstance(event, Delta) and took is None:
                    took = 1000 * (time.perf_counter() - started)
            if took is None:
                raise SystemExit("turn cost (in process): a turn gave no reply text")
            return took

        for index in range(rounds + 2):
            if time.monotonic() > deadline:
                print(f"turn cost (in process): stopped at the time limit after {index} rounds")
                break
            # who goes first flips every cycle of the messages, so that each message is
            # timed first as often with the layer as without it
            cycle = index // len(EVERYDAY)
            order = ["with", "without"] if cycle % 2 else ["without", "with"]
            for name in order:
                rt.crisis.classifier = layer if name == "with" else None
                text = EVERYDAY[index % len(EVERYDAY)].format(f"{index}-{name}")
                took = await first_text_ms(text)
                if index >= 2:  # two warm-up rounds
                    samples[name].append(took)
                await asyncio.sleep(0.3)  # a pause between turns, as a person leaves one
        rt.crisis.classifier, rt.crisis.screen = layer, screening  # type: ignore[method-assign]
    report_turn_cost(samples, "tiny model, in one process")
    with_call, without_call = (statistics.median(screen_calls[n]) for n in ("with", "without"))
    print(f"  the screen's own call p50: with {with_call:.2f} ms, without {without_call:.2f} ms")
    paired = [a - b for a, b in zip(samples["with"], samples["without"], strict=True)]
    for kind, message in enumerate(EVERYDAY):
        # samples start at round 2, so round r is sample r - 2
        of_kind = [d for r, d in enumerate(paired, start=2) if r % len(EVERYDAY) == kind]
        if of_kind:
            words = " ".join(message.split()[:6])
            added = statistics.median(of_kind)
            print(f"    added p50 for '{words} ...': {added:.1f} ms ({len(of_kind)} pairs)")


def report_turn_cost(samples: dict[str, list[float]], how: str) -> None:
    if not samples["with"]:
        print(f"\nwhat the semantic layer adds to a chat turn ({how}): no turns were timed")
        return
    with_p50, without_p50 = (statistics.median(samples[n]) for n in ("with", "without"))
    # each round's two turns ran back to back (in alternating order), so their difference
    # is the least noisy reading of what the layer adds on a shared machine
    paired = [a - b for a, b in zip(samples["with"], samples["without"], strict=True)]
    added = statistics.median(paired)
    quartiles = statistics.quantiles(paired, n=4) if len(paired) >= 4 else [float("nan")] * 3
    turns = len(samples["with"])
    print(f"\nwhat the semantic layer adds to a chat turn ({turns} turns each, {how})")
    print(f"  time to first reply text p50: with {with_p50:.1f} ms,", end=" ")
    print(f"without {without_p50:.1f} ms")
    verdict = mark(added <= TARGET_P50_MS)
    print(
        f"  added p50 (paired) {added:.1f} ms  (middle half {quartiles[0]:.1f} to "
        f"{quartiles[2]:.1f})  target <= {TARGET_P50_MS} ms  {verdict}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=("test", "dev", "train", "extra"), default="test")
    parser.add_argument("--phrases-only", action="store_true", help="without the semantic layer")
    parser.add_argument(
        "--turn-cost", action="store_true", help="also time chat turns with and without it"
    )
    parser.add_argument(
        "--turn-cost-only", action="store_true", help="time chat turns, screen no split"
    )
    parser.add_argument(
        "--turn-cost-in-process",
        action="store_true",
        help="time chat turns in one process (the classifier on and off), screen no split",
    )
    parser.add_argument(
        "--turn-cost-model",
        choices=("tiny", "bundled"),
        default="tiny",
        help="the model the timed servers answer with (bundled: the default, SmolLM2-135M)",
    )
    parser.add_argument(
        "--show-misses", action="store_true", help="not on the test split: print ids"
    )
    args = parser.parse_args()
    if args.turn_cost_in_process:
        asyncio.run(turn_cost_in_process(TURN_COST_ROUNDS_IN_PROCESS))
        return 0
    if args.turn_cost_only:
        asyncio.run(turn_cost(TURN_COST_ROUNDS, args.turn_cost_model))
        return 0
    items = load(args.split)
    screen = CrisisScreen.from_files(classifier=None if args.phrases_only else SemanticLayer())
    screen.preload()
    recall: dict[str, list[bool]] = defaultdict(list)
    recall_language: dict[str, list[bool]] = defaultdict(list)
    fp: dict[str, list[bool]] = defaultdict(list)
    fp_language: dict[str, list[bool]] = defaultdict(list)
    timings: list[float] = []
    misses: list[str] = []
    deadline = time.monotonic() + TIME_LIMIT_S
    done = 0
    for item in items:
        if time.monotonic() > deadline:
            print(f"stopped at the time limit after {done} of {len(items)} items")
            break
        turns = [str(turn) for turn in item["turns"]]  # type: ignore[attr-defined]
        flagged = run_item(screen, turns, timings)
        language, category = str(item["lang"]), str(item["category"])
        if item["label"] == "crisis":
            recall[category].append(flagged)
            recall_language[language].append(flagged)
            if not flagged:
                misses.append(str(item["id"]))
        else:
            fp[category].append(flagged)
            fp_language[language].append(flagged)
            if flagged:
                misses.append(str(item["id"]))
        done += 1

    layers = "phrases only" if args.phrases_only else "phrases and the semantic layer"
    print(
        f"crisis screen ({layers}) on the {args.split} split: {done} items, {len(timings)} messages"
    )
    print_rates("\nrecall by category (target >= 0.98 overall)", recall)
    print_rates(
        "recall by language (target >= 0.95 each)",
        recall_language,
        lambda value: value >= TARGET_RECALL_LANGUAGE,
    )
    print_rates("\nfalse-positive rate by benign category (target <= 0.05 overall)", fp)
    print_rates("false-positive rate by language", fp_language)
    all_recall = [v for values in recall.values() for v in values]
    all_fp = [v for values in fp.values() for v in values]
    overall_recall, overall_fpr = rate(all_recall), rate(all_fp)
    p50 = statistics.median(timings) if timings else float("nan")
    p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) >= 20 else float("nan")
    print("\noverall")
    print(
        f"  recall             {overall_recall:.3f}  target >= {TARGET_RECALL}  "
        f"{mark(overall_recall >= TARGET_RECALL)}"
    )
    print(
        f"  false-positive     {overall_fpr:.3f}  target <= {TARGET_FPR}  "
        f"{mark(overall_fpr <= TARGET_FPR)}"
    )
    p50_ok = mark(p50 <= TARGET_P50_MS)
    print(f"  screen p50         {p50:.3f} ms  target <= {TARGET_P50_MS} ms  {p50_ok}")
    print(f"  screen p95         {p95:.3f} ms")
    if args.show_misses and args.split != "test":
        print(f"\nwrong on {args.split}:", " ".join(misses))
    if args.turn_cost:
        asyncio.run(turn_cost(TURN_COST_ROUNDS, args.turn_cost_model))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
