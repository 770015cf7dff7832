"""The crisis screen's semantic layer, with the real bundled encoder and the shipped weights."""

from __future__ import annotations

import concurrent.futures
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from confidant.safety import semantic
from confidant.safety.crisis import CATEGORIES, CrisisScreen
from confidant.safety.semantic import SemanticLayer

# Written for these tests, not taken from the evaluation set; the phrases miss each one.
HEARD_ONLY_BY_MEANING = [
    "lately I keep picturing how quiet everything would be if I just stopped existing",
    "j ai rangé tous mes papiers et écrit une lettre pour ma mère, comme ça tout sera prêt",
]
FIGURES_OF_SPEECH = [
    "this deadline is going to be the death of me haha",
    "me muero de risa con este video",
    "ich sterbe vor Hunger, wann gibts essen",
    "je suis mort de fatigue après le match",
    "trời nóng muốn chết luôn á",
]


@pytest.fixture(scope="module")
def layer() -> SemanticLayer:
    return SemanticLayer()


@pytest.mark.parametrize("text", HEARD_ONLY_BY_MEANING)
def test_the_layer_hears_what_the_phrases_miss(layer: SemanticLayer, text: str) -> None:
    assert CrisisScreen.from_files().screen(text) is None
    signal = CrisisScreen.from_files(classifier=layer).screen(text)
    assert signal is not None
    assert signal.source == "classifier"
    assert signal.category in CATEGORIES


@pytest.mark.parametrize("text", FIGURES_OF_SPEECH)
def test_figures_of_speech_stay_clear(layer: SemanticLayer, text: str) -> None:
    assert CrisisScreen.from_files(classifier=layer).screen(text) is None


def test_the_window_counts_only_when_the_message_itself_says_something(
    layer: SemanticLayer,
) -> None:
    earlier = ["I want to die tonight", "I have the pills here with me"]
    assert layer.probability("I had a calm day", earlier)[0] < semantic.THRESHOLD
    coat = "won't be needing my winter coat where I'm going"
    alone, _ = layer.probability(coat)
    together, _ = layer.probability(coat, ["I gave my guitar to my brother yesterday"])
    assert together >= alone


def test_vectors_are_cached_by_a_hash_never_by_the_text(layer: SemanticLayer) -> None:
    text = "a sentence only this test writes, 7f3a"
    layer.probability(text)
    keys = list(layer._cache)
    assert keys
    assert all(isinstance(key, bytes) and len(key) == 32 for key in keys)
    assert not any(text.encode() in key for key in keys)


def test_weights_trained_for_another_encoder_are_refused(tmp_path: Path) -> None:
    weights = semantic.load()
    path = tmp_path / "other.npz"
    semantic.save(weights, path)
    with np.load(path) as stored:
        arrays = {name: stored[name] for name in stored.files}
    arrays["encoder"] = np.array("some other encoder")
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="trained for"):
        semantic.load(path)


class CountingEncoder:
    """The real encoder, counting the texts it is asked to embed."""

    def __init__(self) -> None:
        self.inner = semantic.shared_encoder()
        self.embedded: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded += texts
        return self.inner.embed(texts)


def test_a_primed_message_is_embedded_once(layer: SemanticLayer) -> None:
    counting = CountingEncoder()
    counted = SemanticLayer(layer.weights, encoder=counting)
    text = f"{HEARD_ONLY_BY_MEANING[0]}, c41e"
    counted.prime(text)
    counted.judge(text)
    counted.judge(text)
    assert counting.embedded == [text]


def test_loading_the_encoder_leaves_the_process_thread_settings_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    semantic.Encoder()
    assert os.environ["OMP_NUM_THREADS"] == "3"


def test_with_one_engine_busy_another_embeds_the_same_vectors() -> None:
    encoder = semantic.Encoder(engines=2)
    alone = semantic.Encoder(engines=1).embed(["I cannot see a way forward"])
    held = encoder._idle.get()  # one engine taken, as by a turn still being embedded
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            embedded = pool.submit(encoder.embed, ["I cannot see a way forward"]).result(10)
    finally:
        encoder._idle.put(held)
    np.testing.assert_allclose(embedded, alone, atol=1e-6)


def test_a_calm_turn_after_a_crisis_is_not_a_second_crisis(layer: SemanticLayer) -> None:
    screen = CrisisScreen.from_files(classifier=layer)
    for earlier in (
        ["I want to die tonight", "I have the pills here with me"],  # the phrases flag these
        ["lately I keep picturing how quiet everything would be if I just stopped existing"],
    ):
        for calm in ("I had a calm day", "we watched a film and ate pizza", "I feel a bit better"):
            assert screen.screen(calm, earlier) is None, (calm, earlier)


ORDINARY = [
    "I slept badly again and I feel anxious about tomorrow's meeting",
    "my sister visited and we cooked dinner together",
    "work was stressful but I managed to finish the report",
]


def test_a_message_that_cannot_flag_is_not_embedded(layer: SemanticLayer) -> None:
    counting = CountingEncoder()
    quick = SemanticLayer(layer.weights, encoder=counting)
    texts = [*ORDINARY, *FIGURES_OF_SPEECH, *HEARD_ONLY_BY_MEANING]
    for text in texts:
        quick.prime(text)
        assert quick.judge(text).crisis == (layer.probability(text)[0] >= semantic.THRESHOLD)
    assert not set(ORDINARY) & set(counting.embedded)
    assert set(HEARD_ONLY_BY_MEANING) <= set(counting.embedded)
    for text in texts:  # in a conversation too
        verdict = layer.probability(text, ORDINARY[:1])[0] >= semantic.THRESHOLD
        assert quick.judge(text, ORDINARY[:1]).crisis == verdict, text


HEAVY = "everything feels heavy lately and I am tired of it all"  # worth embedding alone


def _verdict_without_shortcuts(layer: SemanticLayer, text: str, earlier: Sequence[str]) -> bool:
    """SemanticLayer.probability as it reads, every turn and window embedded."""
    (alone,), _ = layer._scores([text])
    probability = alone
    if earlier and alone >= semantic.ALONE_FLOOR:
        heard, _ = layer._scores(earlier[-(semantic.WINDOW_TURNS - 1) :])
        if not (heard >= semantic.THRESHOLD).any():
            (together,), _ = layer._scores([semantic.window(earlier, text)])
            probability = max(alone, together)
    return bool(probability >= semantic.THRESHOLD)


def test_in_a_conversation_only_what_could_flag_is_embedded(layer: SemanticLayer) -> None:
    earlier = ORDINARY[:2]
    heavy_window = semantic.window(earlier, HEAVY)
    # what makes this case: the message is read with its window, which cannot flag
    assert layer.probability(HEAVY)[0] >= semantic.ALONE_FLOOR
    assert layer._cannot_flag([heavy_window])
    assert layer._cannot_flag(earlier)
    counting = CountingEncoder()
    quick = SemanticLayer(layer.weights, encoder=counting)
    for text in [HEAVY, *HEARD_ONLY_BY_MEANING, *FIGURES_OF_SPEECH]:
        quick.prime(text)
        verdict = _verdict_without_shortcuts(layer, text, earlier)
        assert quick.judge(text, earlier).crisis == verdict, text
    assert HEAVY in counting.embedded
    assert heavy_window not in counting.embedded
    assert not set(earlier) & set(counting.embedded)
