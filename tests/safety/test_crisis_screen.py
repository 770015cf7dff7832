"""The crisis screen by category and language, the benign traps, the conversation,
severity, resources and language detection. Timing is measured in bench/, not here."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest

from confidant.safety.crisis import (
    CATEGORIES,
    HIGH,
    CrisisScreen,
    Judgement,
    detect_language,
    severity_of,
)

SCREEN = CrisisScreen.from_files()

# (language, category, text): written for these tests, not taken from the eval set.
FLAGGED = [
    ("en", "wish_dead", "honestly i wish i was dead"),
    ("en", "active_thoughts", "been having suicidal thoughts most nights"),
    ("en", "method", "i keep imagining jumping off the bridge near work"),
    ("en", "intent", "im going to kill myself tonight"),
    ("en", "plan", "I've picked the date and I know how I'll do it"),
    ("en", "preparatory", "wrote goodbye letters to my parents yesterday"),
    ("en", "self_harm", "started cutting my arms again last week"),
    ("en", "hopelessness", "nothing is ever going to get better for me"),
    ("en", "burden", "my kids would be better off without me"),
    ("es", "wish_dead", "ya no quiero seguir viviendo"),
    ("es", "active_thoughts", "llevo semanas pensando en suicidarme"),
    ("es", "method", "he estado guardando pastillas en el cajon"),
    ("es", "intent", "esta noche me voy a matar"),
    ("es", "plan", "ya elegí el día y el lugar para hacerlo"),
    ("es", "preparatory", "escribí cartas de despedida para mis hermanos"),
    ("es", "self_harm", "anoche me corté los brazos otra vez"),
    ("es", "hopelessness", "no hay esperanza para mí, nada va a mejorar"),
    ("es", "burden", "soy una carga para mi familia"),
    ("de", "wish_dead", "ich will einfach nicht mehr leben"),
    ("de", "active_thoughts", "ich habe ständig Suizidgedanken"),
    ("de", "method", "ich habe Schlaftabletten gesammelt, genug für alles"),
    ("de", "intent", "heute nacht bringe ich mich um"),
    ("de", "plan", "ich habe einen Plan, wie ich sterben will"),
    ("de", "preparatory", "habe gestern meinen Abschiedsbrief geschrieben"),
    ("de", "self_harm", "ich ritze mich wieder jeden abend"),
    ("de", "hopelessness", "es wird nie besser werden, ich habe keine hoffnung"),
    ("de", "burden", "meine Familie wäre ohne mich besser dran"),
    ("fr", "wish_dead", "je n'ai plus envie de vivre"),
    ("fr", "active_thoughts", "j'ai des idées suicidaires depuis un mois"),
    ("fr", "method", "je pense à me jeter sous un train"),
    ("fr", "intent", "ce soir je le fais, c'est décidé, je vais me tuer"),
    ("fr", "plan", "j'ai un plan pour en finir samedi"),
    ("fr", "preparatory", "j'ai écrit mes lettres d'adieu"),
    ("fr", "self_harm", "je me scarifie encore les bras"),
    ("fr", "hopelessness", "je n'en peux plus, rien ne va jamais s'arranger"),
    ("fr", "burden", "tout le monde serait mieux sans moi"),
    ("vi", "wish_dead", "tôi không muốn sống nữa"),
    ("vi", "active_thoughts", "dạo này mình cứ nghĩ đến cái chết"),
    ("vi", "method", "mình đã gom thuốc ngủ cả tháng nay"),
    ("vi", "intent", "tôi đã quyết định sẽ tự tử tối nay"),
    ("vi", "plan", "mình đã có kế hoạch tự tử rồi"),
    ("vi", "preparatory", "mình viết thư tuyệt mệnh cho bố mẹ rồi"),
    ("vi", "self_harm", "mình lại tự làm hại bản thân tối qua"),
    ("vi", "hopelessness", "mình không còn hy vọng gì nữa"),
    ("vi", "burden", "mình chỉ là gánh nặng cho gia đình"),
]

BENIGN = [
    ("en", "this commute is killing me"),
    ("en", "my phone is dying, I'll text later"),
    ("en", "my friend told me she wants to kill herself, how do I help her?"),
    ("en", "I'm volunteering for a suicide prevention hotline next month"),
    ("en", "I would never hurt myself, I just had a rough day"),
    ("en", "my grandmother died last spring and I still miss her"),
    ("es", "me muero de ganas de verte"),
    ("es", "mi abuela murió el año pasado y la echo de menos"),
    ("es", "las tasas de suicidio en jóvenes han subido según el estudio"),
    ("de", "ich sterbe vor Hunger, was gibt es zum Essen?"),
    ("de", "meine Oma ist letzte Woche gestorben"),
    ("de", "ich würde mir nie etwas antun, keine Sorge"),
    ("fr", "je suis mort de rire devant ce film"),
    ("fr", "mon téléphone est mort, je te rappelle"),
    ("fr", "ma grand-mère est décédée l'an dernier"),
    ("vi", "hôm nay mệt muốn chết luôn"),
    ("vi", "bà ngoại mình mất năm ngoái, mình nhớ bà lắm"),
    ("vi", "cười chết mất với clip này"),
]


@pytest.mark.parametrize(("language", "category", "text"), FLAGGED)
def test_every_category_flags_in_every_language(language: str, category: str, text: str) -> None:
    signal = SCREEN.screen(text)
    assert signal is not None, text
    assert signal.source == "phrases"
    assert signal.severity == severity_of(signal.category)
    assert signal.language == language


def test_the_flag_list_covers_every_category_in_every_language() -> None:
    covered = {(language, category) for language, category, _ in FLAGGED}
    assert covered == {(lang, cat) for lang in ("en", "es", "de", "fr", "vi") for cat in CATEGORIES}


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("im going to kill myself tonight", "intent"),
        ("I have saved up enough sleeping pills", "method"),
        ("my kids would be better off without me", "burden"),
        ("started cutting my arms again last week", "self_harm"),
    ],
)
def test_the_category_is_recorded(text: str, category: str) -> None:
    signal = SCREEN.screen(text)
    assert signal is not None
    assert signal.category == category


# General forms of each category rather than one scenario each (written for these tests).
GENERAL_FORMS = [
    "some nights i hope i simply dont wake up",
    "i would rather not exist at all",
    "might be time for me to check out for good",
    "i wish i had never been born",
    "there is no point in living like this",
    "honestly nothing is ever going to get better",
    "i only cause problems for the people i love",
    "stood on the bridge tonight wondering how easy it would be to jump",
    "i know where the pills are kept",
    "saturday is the day",
    "i scratched my arm with a blade on purpose",
    "ojalá no despertara nunca, solo causo problemas a todos",
    "es gibt keinen ausweg mehr für mich",
    "je ne cause que des problèmes à ma famille",
    "mình chỉ gây rắc rối cho mọi người thôi",
    "toi muon chet",
]

# Someone else at risk, or prevention work, with no sign that the writer is.
NOT_THE_WRITER = [
    "my cousin says he wants to die and i dont know what to say to him",
    "my flatmate has been cutting her arms again, how can i help",
    "in the volunteer training we practise replying to a caller who wants to end it all",
    "mi prima dice que quiere morirse y no sé cómo ayudarla",
    "mein Kollege meinte, er will nicht mehr leben",
    "ma voisine dit qu'elle veut en finir",
    "chồng tôi bảo không muốn sống nữa, tôi sợ lắm",
]


@pytest.mark.parametrize("text", GENERAL_FORMS)
def test_general_forms_flag(text: str) -> None:
    assert SCREEN.screen(text) is not None, text


@pytest.mark.parametrize("text", NOT_THE_WRITER)
def test_someone_elses_risk_does_not_flag(text: str) -> None:
    assert SCREEN.screen(text) is None, text


def test_the_writers_own_words_flag_beside_someone_elses() -> None:
    assert SCREEN.screen("my sister is fine but i want to die") is not None
    assert SCREEN.screen("my mum keeps telling me i want to die too much") is not None
    assert (
        SCREEN.screen("my brother is doing great, they would all be better off without me")
        is not None
    )


@pytest.mark.parametrize(("language", "text"), BENIGN)
def test_benign_traps_do_not_flag(language: str, text: str) -> None:
    assert SCREEN.screen(text) is None, text


def test_matching_survives_case_typos_and_missing_accents_or_apostrophes() -> None:
    for text in (
        "I DONT WANT TO LIVE ANYMORE",
        "i dont want to be alive",
        "i want to diiiie",
        "toi khong muon song nua",
        "je nai plus envie de vivre",
        "ich mochte nicht mehr leben",
        "ya no quiero vivir",
    ):
        assert SCREEN.screen(text) is not None, text


def test_severity_mapping() -> None:
    for category in CATEGORIES:
        expected = "high" if category in ("intent", "plan", "method", "preparatory") else "moderate"
        assert severity_of(category) == expected
    assert set(HIGH) == {"intent", "plan", "method", "preparatory"}
    assert severity_of("a classifier's own label") == "moderate"
    high = SCREEN.screen("im going to kill myself tonight")
    moderate = SCREEN.screen("honestly i wish i was dead")
    assert high is not None
    assert high.severity == "high"
    assert moderate is not None
    assert moderate.severity == "moderate"


GUITAR = "I gave my guitar to my brother"
COAT = "won't be needing my winter coat"


def test_weak_cues_accumulate_over_the_turns() -> None:
    assert SCREEN.screen(GUITAR) is None
    assert SCREEN.screen(COAT) is None
    signal = SCREEN.screen(COAT, [GUITAR])
    assert signal is not None
    assert signal.source == "conversation"
    assert signal.category == "preparatory"
    assert signal.severity == "high"


def test_a_distant_weak_cue_decays_and_does_not_combine() -> None:
    filler = [
        "we had pasta for dinner",
        "the weather was nice",
        "work was fine",
        "I watched a film",
    ]
    assert SCREEN.screen(COAT, [GUITAR, *filler]) is None
    assert SCREEN.screen(COAT, [*filler, GUITAR]) is not None


def test_a_turn_without_a_cue_does_not_flag_from_history_alone() -> None:
    assert SCREEN.screen("what's the weather tomorrow?", [GUITAR, COAT]) is None


def test_a_signal_in_the_current_text_wins_over_the_conversation() -> None:
    signal = SCREEN.screen("im going to kill myself tonight", [GUITAR])
    assert signal is not None
    assert signal.source == "phrases"
    assert signal.category == "intent"


class ZorpClassifier:
    """A stand-in classifier that hears one made-up word, and records what it is asked."""

    def __init__(self, fails: bool = False) -> None:
        self.asked: list[tuple[str, tuple[str, ...]]] = []
        self.fails = fails

    def judge(self, text: str, earlier: Sequence[str] = ()) -> Judgement:
        self.asked.append((text, tuple(earlier)))
        if self.fails:
            raise RuntimeError("the model is gone")
        return Judgement("hopelessness", crisis="zorp" in text)

    def preload(self) -> None:
        return None

    def prime(self, text: str) -> None:
        return None


def test_the_classifier_is_asked_only_when_the_phrases_find_nothing() -> None:
    classifier = ZorpClassifier()
    screen = CrisisScreen.from_files(classifier=classifier)
    signal = screen.screen("a zorp kind of day", ["earlier turn"])
    assert signal is not None
    assert signal.source == "classifier"
    assert signal.severity == "moderate"
    assert screen.screen("honestly i wish i was dead") is not None
    assert screen.screen("an ordinary day") is None
    assert classifier.asked == [
        ("a zorp kind of day", ("earlier turn",)),
        ("an ordinary day", ()),
    ]


def test_a_failing_classifier_leaves_the_phrases_to_screen() -> None:
    screen = CrisisScreen.from_files(classifier=ZorpClassifier(fails=True))
    assert screen.screen("a zorp kind of day") is None
    signal = screen.screen("honestly i wish i was dead")
    assert signal is not None
    assert signal.source == "phrases"


# Each is heard by a pattern the classifier supersedes (see safety/crisis.py).
SUPERSEDED = [
    "ya no puedo más con todo esto",
    "ich schaffe es nicht mehr",
    "ich fühle mich so leer",
    "je n'en peux plus",
]


@pytest.mark.parametrize("text", SUPERSEDED)
def test_superseded_patterns_flag_only_without_a_working_classifier(text: str) -> None:
    alone = CrisisScreen.from_files().screen(text)
    assert alone is not None
    assert alone.category == "hopelessness"
    heard_nothing = CrisisScreen.from_files(classifier=ZorpClassifier())
    assert heard_nothing.phrases_signal(text) is None
    assert heard_nothing.screen(text) is None
    failing = CrisisScreen.from_files(classifier=ZorpClassifier(fails=True))
    assert failing.phrases_signal(text) is None
    signal = failing.screen(text)
    assert signal is not None
    assert (signal.category, signal.source) == ("hopelessness", "phrases")


def test_explicit_words_are_never_left_to_the_classifier() -> None:
    screen = CrisisScreen.from_files(classifier=ZorpClassifier())
    for text in (
        "Tôi muốn chết",
        "quiero morir",
        "je n'en peux plus de vivre",
        "ya no puedo más con la vida",
    ):
        assert screen.phrases_signal(text) is not None, text


def test_resources_with_one_argument_keep_their_behaviour() -> None:
    assert "988" in SCREEN.resources_for("en-US")
    assert "116 123" in SCREEN.resources_for("en-GB")
    assert SCREEN.resources_for("xx-YY") == SCREEN.resources_for(None)
    assert "findahelpline" in SCREEN.resources_for(None)


def test_resources_in_the_preferred_language_then_the_texts() -> None:
    both = SCREEN.resources_for("en-GB", "es")
    assert both.startswith(SCREEN.resources_for("en-GB"))
    assert both.endswith(SCREEN.resources_for("es"))
    assert SCREEN.resources_for("en-GB", "en") == SCREEN.resources_for("en-GB")
    assert SCREEN.resources_for("de-AT", "de") == SCREEN.resources_for("de")


def test_vietnamese_gets_the_international_resources_said_in_vietnamese() -> None:
    vietnamese = SCREEN.resources_for("vi")
    default = SCREEN.resources_for(None)
    assert vietnamese.endswith(default)
    assert "Việt Nam" in vietnamese
    assert "xác minh" in vietnamese
    notice = vietnamese[: -len(default)]
    assert not re.search(r"\d{3}", notice)  # no phone number is made up
    both = SCREEN.resources_for("en-GB", "vi")
    assert both.startswith(SCREEN.resources_for("en-GB"))
    assert "Việt Nam" in both
    once = SCREEN.resources_for(None, "vi")
    assert once.count(default) == 1
    assert "Việt Nam" in once


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("I don't know what to do with my life anymore", "en"),
        ("no sé qué hacer con mi vida, estoy muy cansada", "es"),
        ("ich weiß nicht mehr, was ich machen soll", "de"),
        ("je ne sais plus quoi faire de ma vie", "fr"),
        ("tôi không biết phải làm gì nữa", "vi"),
        ("toi khong biet phai lam gi nua", "vi"),
        ("12345", None),
    ],
)
def test_detect_language(text: str, language: str | None) -> None:
    assert detect_language(text) == language


def test_the_screen_keeps_no_message_text_in_memory() -> None:
    screen = CrisisScreen.from_files()
    text = "a message only this test writes, about my day, 91bd"
    screen.screen(text, ["an earlier turn of this test, 91bd"])
    keys = list(screen._readings)
    assert keys
    assert all(isinstance(key, bytes) and len(key) == 32 for key in keys)
    assert not any(b"91bd" in key for key in keys)
