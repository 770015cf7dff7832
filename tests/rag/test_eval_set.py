"""The shipped evaluation set is what the issue asks for, and internally consistent."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
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


WRITTEN = DATA.parent / "rag_eval_sets"
KINDS = {"paraphrase", "exact", "dated", "multi", "negation"}


def test_the_independent_sets_are_split_and_consistent() -> None:
    files = sorted(WRITTEN.glob("*.json"))
    assert {f.name.split("-")[0] for f in files} == {"dev", "heldout"}
    assert (WRITTEN / "README.md").is_file()
    for path in files:
        data = json.loads(path.read_text())
        assert len(data["description"]) > 100, path  # its provenance
        entries = {e["id"]: (p["name"], e) for p in data["personas"] for e in p["entries"]}
        assert len(entries) >= 60, path
        kinds = Counter(q["kind"] for q in data["questions"])
        assert set(kinds) == KINDS, path
        assert kinds["paraphrase"] >= 10, path
        for question in data["questions"]:
            assert 1 <= len(question["answers"]) <= 3, question
            for answer in question["answers"]:
                assert entries[answer][0] == question["persona"], question
            if "asked_on" in question:
                asked = date.fromisoformat(question["asked_on"])
                assert all(entries[a][1]["date"] <= asked.isoformat() for a in question["answers"])
