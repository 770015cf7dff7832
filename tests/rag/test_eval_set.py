"""The shipped evaluation set is what the issue asks for, and internally consistent."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "bench" / "data" / "rag_eval.json"


def test_evaluation_set_shape() -> None:
    data = json.loads(DATA.read_text())
    assert len(data["personas"]) == 3
    entries = {e["id"]: (p["name"], e) for p in data["personas"] for e in p["entries"]}
    assert len(entries) >= 300
    dates = sorted(e["date"] for _, e in entries.values())
    assert dates[0][:7] == "2025-01"  # a year of entries
    assert dates[-1][:7] == "2025-12"
    assert len(data["questions"]) >= 100
    kinds = Counter(q["kind"] for q in data["questions"])
    assert kinds["dated"] >= 10
    assert kinds["exact"] >= 30
    assert kinds["paraphrase"] >= 30
    for question in data["questions"]:
        assert question["answers"], question
        for answer in question["answers"]:
            persona, _ = entries[answer]
            assert persona == question["persona"]


def test_the_generator_reproduces_the_shipped_file() -> None:
    import sys

    sys.path.insert(0, str(DATA.parents[2]))
    from bench.make_rag_eval import build

    assert build() == json.loads(DATA.read_text())
