"""Retrieval quality on three evaluation sets, side by side in one run.

- `synthetic`: the project's generated set (bench/data/rag_eval.json, bench/make_rag_eval.py);
- `dev`: two diaries written independently (bench/data/rag_eval_sets/dev-*.json), the
  set the ranking may be tuned on;
- `heldout`: two more diaries by other independent writers
  (bench/data/rag_eval_sets/heldout-*.json), never tuned on: the figures that count.

Each persona's diary goes through the real pipeline (encrypted entries, splitter,
embedder, vector store, keyword postings); every question is asked in every mode, with
its date phrases resolved on the day it was asked (`asked_on`, else today). Prints
recall@5, MRR@10 and nDCG@10 per set and per question kind for dense, keyword, rrf
(equal-weight fusion, the old default) and hybrid (the default).
Targets on heldout: hybrid recall@5 >= 0.92 overall and >= 0.85 on paraphrases, and no
kind of question worse than rrf.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import tempfile
from collections import defaultdict
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from confidant.auth import service as auth_service  # noqa: E402
from confidant.auth.models import User  # noqa: E402
from confidant.auth.schemas import RegisterIn  # noqa: E402
from confidant.config import Settings  # noqa: E402
from confidant.diary import service as diary_service  # noqa: E402
from confidant.diary.schemas import EntryCreate  # noqa: E402
from confidant.kit import dates, migrate  # noqa: E402
from confidant.rag import service as rag_service  # noqa: E402
from confidant.rag.models import SOURCE_DIARY  # noqa: E402
from confidant.runtime import Runtime  # noqa: E402

DATA = ROOT / "bench" / "data"
SETS = {
    "synthetic": [DATA / "rag_eval.json"],
    "dev": sorted((DATA / "rag_eval_sets").glob("dev-*.json")),
    "heldout": sorted((DATA / "rag_eval_sets").glob("heldout-*.json")),
}
MODES = ("dense", "keyword", "rrf", "hybrid")
KINDS = ("all", "paraphrase", "exact", "dated", "multi", "negation")
TARGET_RECALL, TARGET_PARAPHRASE = 0.92, 0.85

Scores = dict[tuple[str, str, str, str], list[float]]  # (set, mode, kind, metric)


async def ingest(rt: Runtime, account: str, persona: dict) -> tuple[User, dict[str, str]]:
    """The persona's account and a map from our entry ids to the eval set's ids."""
    async with rt.db.transaction() as session:
        user, _ = await auth_service.create_account(
            rt,
            session,
            RegisterIn(email=f"{account}@eval.example", password="evaluation pw", name=account),
        )
    ids: dict[str, str] = {}
    async with rt.db.transaction() as session:
        user = await session.get(User, user.id)
        for item in persona["entries"]:
            data = EntryCreate(date=date.fromisoformat(item["date"]), text=item["text"])
            created = await diary_service.create(rt, session, user, data)
            ids[created.id] = item["id"]
    await rag_service.index_sources(rt, user.id, SOURCE_DIARY, list(ids))
    return user, ids


def window(user: User, question: dict) -> tuple[date | None, date | None]:
    if "asked_on" in question:
        named = dates.resolve(question["question"], date.fromisoformat(question["asked_on"]))
        return (named.since, named.until) if named else (None, None)
    return rag_service.dates_for(user, question["question"])


async def ranked_entries(
    rt: Runtime, user: User, question: dict, mode: str, ids: dict[str, str]
) -> list[str]:
    since, until = window(user, question)
    text = question["question"]
    sources = await rag_service.retrieve(rt, user, text, 30, since, until, mode=mode)
    seen: list[str] = []
    for source in sources:
        entry = ids.get(source.source_id)
        if entry and entry not in seen:
            seen.append(entry)
    return seen


def metrics(ranking: list[str], answers: set[str]) -> dict[str, float]:
    rank = next((i + 1 for i, e in enumerate(ranking[:10]) if e in answers), None)
    gains = sum(1 / math.log2(i + 2) for i, e in enumerate(ranking[:10]) if e in answers)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(answers), 10)))
    return {
        "R@5": len(answers & set(ranking[:5])) / len(answers),
        "MRR@10": 1 / rank if rank else 0.0,
        "nDCG@10": gains / ideal,
    }


async def evaluate(rt: Runtime, name: str, files: list[Path], scores: Scores) -> tuple[int, int]:
    entries = questions = 0
    for path in files:
        data = json.loads(path.read_text())
        users = {}
        for persona in data["personas"]:
            account = f"{name}-{path.stem}-{persona['name']}"
            users[persona["name"]] = await ingest(rt, account, persona)
            entries += len(persona["entries"])
        for question in data["questions"]:
            questions += 1
            user, ids = users[question["persona"]]
            for mode in MODES:
                ranking = await ranked_entries(rt, user, question, mode, ids)
                for metric, value in metrics(ranking, set(question["answers"])).items():
                    for kind in ("all", question["kind"]):
                        scores[(name, mode, kind, metric)].append(value)
    return entries, questions


def report(name: str, counts: tuple[int, int], scores: Scores) -> None:
    kinds = [k for k in KINDS if scores.get((name, "hybrid", k, "R@5"))]
    sizes = {k: len(scores[(name, "hybrid", k, "R@5")]) for k in kinds}
    print(f"\n[{name}] {counts[0]} entries, {counts[1]} questions")
    print(
        f"{'mode':>8} {'MRR@10':>7} {'nDCG@10':>8}  R@5: "
        + " ".join(f"{k}({sizes[k]})".rjust(14) for k in kinds)
    )
    for mode in MODES:
        mrr = _mean(scores[(name, mode, "all", "MRR@10")])
        ndcg = _mean(scores[(name, mode, "all", "nDCG@10")])
        recalls = " ".join(f"{_mean(scores[(name, mode, k, 'R@5')]):>14.3f}" for k in kinds)
        print(f"{mode:>8} {mrr:>7.3f} {ndcg:>8.3f}       {recalls}")


def verdicts(scores: Scores) -> None:
    def recall(mode: str, kind: str) -> float:
        return _mean(scores[("heldout", mode, kind, "R@5")])

    overall, paraphrase = recall("hybrid", "all"), recall("hybrid", "paraphrase")
    worse = [
        k
        for k in KINDS[1:]
        if scores.get(("heldout", "hybrid", k, "R@5")) and recall("hybrid", k) < recall("rrf", k)
    ]
    print()
    print(
        f"heldout hybrid recall@5 {overall:.3f} (target >= {TARGET_RECALL}: "
        f"{'meets' if overall >= TARGET_RECALL else 'MISSES'})"
    )
    print(
        f"heldout hybrid paraphrase recall@5 {paraphrase:.3f} (target >= {TARGET_PARAPHRASE}: "
        f"{'meets' if paraphrase >= TARGET_PARAPHRASE else 'MISSES'})"
    )
    print(f"kinds worse than rrf on heldout: {', '.join(worse) or 'none'} (target: none)")


async def run(names: list[str]) -> None:
    work = Path(tempfile.mkdtemp(prefix="confidant-rag-eval-"))
    settings = Settings(_env_file=None, data_dir=work, llm_model=str(work / "no-model"))  # type: ignore[call-arg]
    await asyncio.to_thread(migrate.upgrade, settings)
    rt = await Runtime.start(settings)
    scores: Scores = defaultdict(list)
    counts = {}
    try:
        for name in names:
            counts[name] = await evaluate(rt, name, SETS[name], scores)
    finally:
        await rt.close()
    print(f"\nbench/rag_eval.py (embedding model: {rt.rag.embedder.model_name})")
    for name in names:
        report(name, counts[name], scores)
    if "heldout" in names:
        verdicts(scores)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="+", choices=list(SETS), default=list(SETS))
    asyncio.run(run(parser.parse_args().sets))
