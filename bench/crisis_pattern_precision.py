"""What each phrase pattern of the crisis screen adds beside the semantic layer, on writers
neither has seen: how the patterns in ``superseded`` were chosen (see safety/crisis.py).

For each writer's file in bench/data/crisis_eval/extra/ in turn, the
semantic layer is trained without that writer; then for each item of the file, the
patterns (every pattern of every category, matched one by one, about the writer) that
fire on any of its turns, and whether the layer flagged it. A pattern's ``tp_only`` is
the crisis items it alone caught where the layer missed; ``fp_only`` the benign items it
alone flagged where the layer did not. Prints the patterns by fp_only - tp_only.

    PYTHONPATH=src python bench/crisis_pattern_precision.py [--top 60]

About 30 minutes on two loaded cores (the embeddings are cached in bench/results/).
Never reads the test split.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench.crisis_semantic_train import (  # noqa: E402
    SOURCES,
    Embeddings,
    fit,
    load,
    training_texts,
    turns_of,
)
from confidant.safety import crisis, semantic  # noqa: E402

DATA_FILES = ROOT / "src" / "confidant" / "safety" / "data"
Key = tuple[str, str, int]  # language, category, index in the file's list


def patterns() -> dict[str, list[tuple[str, int, str, re.Pattern[str]]]]:
    found = {}
    for code in crisis.LANGUAGES:
        data = json.loads((DATA_FILES / f"crisis_{code}.json").read_text(encoding="utf-8"))
        macros = {str(k): str(v) for k, v in data.get("macros", {}).items()}
        found[code] = [
            (category, index, pattern, re.compile(crisis._expand(pattern, macros)))
            for category, listed in data["categories"].items()
            for index, pattern in enumerate(listed)
        ]
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--top", type=int, default=60)
    args = parser.parse_args()
    data = {source: load(source) for source in SOURCES}
    embed = Embeddings()
    embed([t for items in data.values() for t in training_texts(items)[0]])
    embed.save()
    screen = crisis.CrisisScreen.from_files()
    languages = {language.code: language for language in screen._languages}
    listed = patterns()

    def fired(text: str) -> set[Key]:
        normal = crisis.normalise(text)
        keys = set()
        for code, language in languages.items():
            benign = language.benign
            cleaned = benign.sub(" ~ ", normal) if benign is not None else normal
            for category, index, _, compiled in listed[code]:
                if any(
                    crisis._about_the_writer(language, cleaned, match)
                    for match in compiled.finditer(cleaned)
                ):
                    keys.add((code, category, index))
        return keys

    counts: dict[Key, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # tp_only tp fp_only fp
    for held in [source for source in SOURCES if source.startswith("extra/")]:
        started = time.monotonic()
        others = [item for source in SOURCES if source != held for item in data[source]]
        layer = semantic.SemanticLayer(fit(*training_texts(others), embed), encoder=embed)
        for item in data[held]:
            turns, is_crisis = turns_of(item), item["label"] == "crisis"
            heard = any(
                layer.probability(text, turns[:index])[0] >= semantic.THRESHOLD
                for index, text in enumerate(turns)
            )
            keys = set().union(*(fired(text) for text in turns))
            alone = not heard and len(keys) == 1
            for key in keys:
                count = counts[key]
                offset = 0 if is_crisis else 2
                count[offset] += alone
                count[offset + 1] += 1
        print(f"{held}: {time.monotonic() - started:.0f} s", flush=True)
    ranked = sorted(counts.items(), key=lambda kv: kv[1][2] - kv[1][0], reverse=True)
    for (code, category, index), (tp_only, tp, fp_only, fp) in ranked[: args.top]:
        print(
            f"{code} {category:<15} {index:>3}  tp_only={tp_only:<3} tp={tp:<3} "
            f"fp_only={fp_only:<3} fp={fp:<3}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
