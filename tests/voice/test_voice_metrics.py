"""A voice message turn shows in /metrics: to the first sentence spoken, and whole."""

from __future__ import annotations

import httpx

from confidant.runtime import Runtime
from tests.app.test_metrics import TTFT, grew, scrape
from tests.voice.speech import silence_wav, spoken
from tests.voice.test_voice_api import account_with_chat, send_voice

TURN = "confidant:voice_turn_seconds"
FIRST_AUDIO = "confidant:voice_time_to_first_audio_seconds"


async def test_a_voice_turn_is_timed(client: httpx.AsyncClient, runtime: Runtime) -> None:
    account, chat_id = await account_with_chat(client)
    before = await scrape(client)
    response = await send_voice(client, account, chat_id, spoken("I feel tired today"), "a.wav")
    assert response.status_code == 200, response.text
    after = await scrape(client)
    assert grew(before, after, f"{TURN}_count") == 1
    assert grew(before, after, f"{FIRST_AUDIO}_count") == 1
    first_audio = grew(before, after, f"{FIRST_AUDIO}_sum")
    assert 0 < first_audio <= grew(before, after, f"{TURN}_sum")
    # the reply was the model's: its generation is timed too
    name = runtime.models.default_name
    assert grew(before, after, f"{TTFT}_count", model_name=name) == 1
    assert account.user_id not in after.text


async def test_a_turn_that_hears_nothing_is_not_timed(client: httpx.AsyncClient) -> None:
    account, chat_id = await account_with_chat(client)
    before = await scrape(client)
    response = await send_voice(client, account, chat_id, silence_wav(1.0), "quiet.wav")
    assert response.status_code == 422, response.text
    after = await scrape(client)
    assert grew(before, after, f"{TURN}_count") == 0
    assert grew(before, after, f"{FIRST_AUDIO}_count") == 0
