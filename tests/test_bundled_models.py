"""The real bundled models, loaded once per session through the default configuration:
the companion answers in English, a fine-tune on it lowers held-out loss and changes
only its owner's replies, the bundled Whisper hears what Piper says, and a voice message
comes back as playable Piper audio."""

from __future__ import annotations

import io
import re
import wave
from collections.abc import AsyncIterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from confidant.config import BUNDLED_CHAT_MODEL, Settings
from confidant.llm.base import GenerationParams
from confidant.runtime import Runtime
from confidant.voice import audio
from tests.calls.peer import call
from tests.conftest import (
    FAST_VOICE,
    client_for,
    make_settings,
    started_app,
    upgrade_schema,
    with_worker,
)
from tests.finetune.test_finetune import fine_tune, reply, wait_until, write_history
from tests.helpers import jobs_settled, register
from tests.voice.speech import word_error_rate

pytestmark = pytest.mark.slow

DEFAULT_VOICE = {name: Settings.model_fields[name].default for name in FAST_VOICE}
PROMPTS = [
    "I slept badly last night and I feel tired.",
    "My exams start next week and I am nervous.",
    "I had a nice walk with my sister today.",
    "Work was stressful, my manager was angry.",
    "How can I relax before going to bed?",
    "I feel a bit lonely this evening.",
    "I went for a run this morning.",
    "What could I write in my diary tonight?",
    "I argued with my friend and I feel bad.",
    "Today was a calm and good day.",
]
SENTENCES = [
    "I slept badly last night because of my exams.",
    "My sister called me and we talked for an hour.",
    "I feel calmer after a walk in the park.",
]


@cache
def english_words() -> frozenset[str]:
    """The CMU pronouncing dictionary that ships with pocketsphinx: 130,000 English words."""
    import pocketsphinx

    path = Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return frozenset(re.sub(r"\(\d+\)$", "", line.split(" ", 1)[0]) for line in lines if line)


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z']+", text.lower())


@pytest.fixture(scope="module")
async def bundled(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FastAPI]:
    """The defaults (the bundled chat model, Whisper base and the Piper voice) on SQLite,
    with a real worker for fine-tuning. The first load converts the models (a minute)."""
    settings = make_settings(
        tmp_path_factory.mktemp("bundled"), llm_model=BUNDLED_CHAT_MODEL, **DEFAULT_VOICE
    )
    await upgrade_schema(settings)
    async for ready in with_worker(settings):
        async for app in started_app(ready):
            yield app


async def test_the_bundled_companion_answers_in_english(bundled: FastAPI) -> None:
    runtime: Runtime = bundled.state.runtime
    async with client_for(bundled) as http:
        assert (await http.get("/readyz")).status_code == 200
        account = await register(http)
        models = (await http.get("/api/models", headers=account.headers)).json()
        assert (models[0]["name"], models[0]["status"]) == (BUNDLED_CHAT_MODEL, "loaded")
        chat = (await http.post("/api/chats", json={}, headers=account.headers)).json()
        turn = await http.post(
            "/api/messages",
            json={"chatId": chat["id"], "content": PROMPTS[0]},
            headers=account.headers,
        )
        assert turn.status_code == 200, turn.text
        assert len(words_of(turn.json()["reply"]["content"])) >= 3

    model = runtime.models.get()
    greedy = GenerationParams(max_new_tokens=24, temperature=0.0, top_p=1.0)
    dictionary = english_words()
    for prompt in PROMPTS:
        text = "".join(
            [piece async for piece in model.stream([{"role": "user", "content": prompt}], greedy)]
        )
        words = words_of(text)
        assert len(words) >= 3, (prompt, text)
        known = sum(word.strip("'") in dictionary for word in words) / len(words)
        assert known >= 0.8, (prompt, text, known)


async def test_a_fine_tune_of_the_bundled_model_serves_only_its_owner(bundled: FastAPI) -> None:
    runtime: Runtime = bundled.state.runtime
    async with client_for(bundled) as http:
        owner, other = await register(http), await register(http)
        await write_history(http, owner, "Fed the ducks at the pond with my grandmother")
        await write_history(http, other, "Fixed the bicycle chain in the garage")
        await jobs_settled(runtime.db)
        owner_before, other_before = (
            await reply(bundled, http, owner),
            await reply(bundled, http, other),
        )
        started = await fine_tune(http, owner)
        done = await wait_until(http, owner, started["id"], {"ready", "failed"}, limit=600)
        assert done["state"] == "ready", done
        assert done["evalLoss"] < done["evalLossBefore"]
        assert await reply(bundled, http, owner) != owner_before
        assert await reply(bundled, http, other) == other_before


def piper_says(runtime: Runtime, text: str) -> bytes:
    tts: Any = runtime.voice._text_to_speech()
    assert tts.name == "piper"
    return audio.to_wav(tts.synthesize(text))


async def test_whisper_hears_what_piper_says(bundled: FastAPI) -> None:
    """At most one word wrong a sentence. Piper samples noise as it speaks, so a sentence
    now and then comes out less clearly ("calmer" heard as "calm or"): the bar holds over
    the set, and no sentence may lose more than two words."""
    runtime: Runtime = bundled.state.runtime
    wrong_words = {}
    for sentence in SENTENCES:
        recording = audio.decode(piper_says(runtime, sentence), 60)
        heard = await runtime.voice.transcribe(recording.pcm)
        said = words_of(sentence)
        wrong = word_error_rate(" ".join(said), " ".join(words_of(heard))) * len(said)
        wrong_words[heard] = round(wrong)
    assert sum(wrong_words.values()) <= len(SENTENCES), wrong_words
    assert max(wrong_words.values()) <= 2, wrong_words


async def test_a_voice_message_comes_back_in_pipers_voice(bundled: FastAPI) -> None:
    runtime: Runtime = bundled.state.runtime
    async with client_for(bundled) as http:
        account = await register(http)
        chat = (await http.post("/api/chats", json={}, headers=account.headers)).json()
        response = await http.post(
            "/api/messages/voice",
            data={"chatId": chat["id"]},
            files={
                "audio": ("note.wav", io.BytesIO(piper_says(runtime, SENTENCES[1])), "audio/wav")
            },
            headers=account.headers,
        )
        assert response.status_code == 200, response.text
        turn = response.json()
        assert "sister" in words_of(turn["transcript"])
        fetched = await http.get(turn["replyAudio"]["url"], headers=account.headers)
        with wave.open(io.BytesIO(fetched.content)) as played:
            assert played.getframerate() == 22_050  # the Piper voice's own rate
        spoken_back = audio.decode(fetched.content, 300)
        assert spoken_back.pcm.seconds > 0.5
        assert spoken_back.pcm.samples.astype("float64").std() > 300  # not silence


async def test_a_live_call_hears_piper_and_answers_aloud(bundled: FastAPI) -> None:
    """A real aiortc caller says a sentence in Piper's voice: Whisper hears it over Opus,
    the bundled model answers, and the reply arrives as sound."""
    runtime: Runtime = bundled.state.runtime
    async with client_for(bundled) as http:
        account = await register(http)
        chat = (await http.post("/api/chats", json={}, headers=account.headers)).json()
        caller = await call(http, account.headers, chat["id"])
        try:
            caller.mic.say(piper_says(runtime, SENTENCES[1]))
            transcript = await caller.event("transcript", final=True, timeout=120)
            assert {"sister", "hour"} <= set(words_of(transcript["text"]))
            await caller.event("replied", timeout=120)
            assert caller.first_sound_after(transcript["at"]) is not None
        finally:
            await caller.close()
            await runtime.calls.close_all()
