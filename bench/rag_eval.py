"""Retrieval quality on the project's synthetic evaluation set (bench/data/rag_eval.json).

Ingests each persona's diary through the real pipeline (encrypted entries, splitter,
embedder, LanceDB, keyword postings), asks every question, and prints recall@5 and
MRR@10 for dense only, keyword only and hybrid (reciprocal-rank fusion), overall and by
question kind. Target: hybrid beats both on recall@5, and hybrid recall@5 >= 0.85.
"""

from __future__ import annotations

import asyncio
import json
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
from confidant.kit import migrate  # noqa: E402
from confidant.rag import service as rag_service  # noqa: E402
from confidant.rag.models import SOURCE_DIARY  # noqa: E402
from confidant.runtime import Runtime  # noqa: E402

DATA = ROOT / "bench" / "data" / "rag_eval.json"
MODES = ("dense", "keyword", "hybrid")
TARGET_RECALL = 0.85


async def ingest(rt: Runtime, persona: dict) -> tuple[User, dict[str, str]]:
    """The persona's account and a map from our entry ids to the eval set's ids."""
    async with rt.db.transaction() as session:
        user, _ = await auth_service.create_account(
            rt,
            session,
            RegisterIn(
                email=f"{persona['name']}@eval.example",
                password="evaluation pw",
                name=persona["name"],
            ),
        )
    ids: dict[str, str] = {}
    async with rt.db.transaction() as session:
        user = await session.get(User, user.id)
        for item in persona["entries"]:
            data = EntryCreate(date=date.fromisoformat(item["date"]), text=item["text"])
            created = await diary_service.create(rt, session, user, data)
            ids[created.id] = item["id"]
    for entry_id in ids:
        await rag_service.index_source(rt, user.id, SOURCE_DIARY, entry_id)
    return user, ids


async def ranked_entries(
    rt: Runtime, user: User, question: str, mode: str, ids: dict[str, str]
) -> list[str]:
    since, until = rag_service.dates_for(user, question)
    sources = await rag_service.retrieve(rt, user, question, 30, since, until, mode=mode)
    seen: list[str] = []
    for source in sources:
        entry = ids.get(source.source_id)
        if entry and entry not in seen:
            seen.append(entry)
    return seen


async def run() -> None:
    data = json.loads(DATA.read_text())
    work = Path(tempfile.mkdtemp(prefix="confidant-rag-eval-"))
    settings = Settings(_env_file=None, data_dir=work, llm_model=str(work / "no-model"))  # type: ignore[call-arg]
    await asyncio.to_thread(migrate.upgrade, settings)
    rt = await Runtime.start(settings)
    try:
        users = {}
        for persona in data["personas"]:
            users[persona["name"]] = await ingest(rt, persona)
        recall: dict[tuple[str, str], list[float]] = defaultdict(list)
        reciprocal: dict[tuple[str, str], list[float]] = defaultdict(list)
        for question in data["questions"]:
            user, ids = users[question["persona"]]
            answers = set(question["answers"])
            for mode in MODES:
                ranking = await ranked_entries(rt, user, question["question"], mode, ids)
                found = len(answers & set(ranking[:5])) / len(answers)
                rank = next((i + 1 for i, e in enumerate(ranking[:10]) if e in answers), None)
                for kind in ("all", question["kind"]):
                    recall[(mode, kind)].append(found)
                    reciprocal[(mode, kind)].append(1 / rank if rank else 0.0)
    finally:
        await rt.close()
    entries = sum(len(p["entries"]) for p in data["personas"])
    questions = len(data["questions"])
    personas = len(data["personas"])
    print(f"\nbench/rag_eval.py: {personas} personas, {entries} entries, {questions} questions")
    kinds = ["all", "exact", "paraphrase", "dated"]
    print(
        f"{'':>10}"
        + "".join(f"{k + ' R@5':>16}{k + ' MRR':>16}" for k in kinds[:1])
        + "".join(f"{k + ' R@5':>16}" for k in kinds[1:])
    )
    for mode in MODES:
        line = f"{mode:>10}"
        line += f"{_mean(recall[(mode, 'all')]):>16.3f}{_mean(reciprocal[(mode, 'all')]):>16.3f}"
        line += "".join(f"{_mean(recall[(mode, k)]):>16.3f}" for k in kinds[1:])
        print(line)
    hybrid = _mean(recall[("hybrid", "all")])
    beats = all(hybrid > _mean(recall[(m, "all")]) for m in ("dense", "keyword"))
    verdict = "meets" if hybrid >= TARGET_RECALL else "MISSES"
    print(
        f"hybrid recall@5 = {hybrid:.3f} (target >= {TARGET_RECALL}: {verdict}); "
        f"beats dense and keyword: {'yes' if beats else 'NO'}"
    )


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


if __name__ == "__main__":
    asyncio.run(run())
