"""Live calls with a real aiortc caller against the real app: a spoken question is heard,
answered aloud and kept in the chat; talking over the reply stops it; a spoken crisis
gets help on the screen and in the chat; bad signalling and foreign chats change
nothing; a caller that hangs up or vanishes is cleaned up."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from confidant.auth.models import User
from confidant.calls import service as calls_service
from confidant.runtime import Runtime
from tests.app.test_metrics import grew, scrape
from tests.calls.peer import Caller, call
from tests.helpers import Account, assert_error, register
from tests.voice.speech import spoken

pytestmark = pytest.mark.parametrize("settings", ["sqlite"], indirect=True)


@pytest.fixture
async def caller_chat(client: httpx.AsyncClient) -> tuple[Account, str]:
    account = await register(client)
    chat = await client.post("/api/chats", json={}, headers=account.headers)
    return account, str(chat.json()["id"])


@pytest.fixture
async def hang_up_after(runtime: Runtime) -> AsyncIterator[list[Caller]]:
    callers: list[Caller] = []
    yield callers
    for caller in callers:
        await caller.close()
    await runtime.calls.close_all()


async def messages(client: httpx.AsyncClient, account: Account, chat_id: str) -> list[dict]:
    """The chat's messages, oldest first."""
    response = await client.get(f"/api/chats/{chat_id}/messages", headers=account.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    return list(reversed(body["items"]))


async def wait_for(condition, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def test_a_spoken_question_is_heard_answered_aloud_and_kept(
    client: httpx.AsyncClient,
    runtime: Runtime,
    caller_chat: tuple[Account, str],
    hang_up_after: list[Caller],
) -> None:
    account, chat_id = caller_chat
    before = await scrape(client)
    caller = await call(client, account.headers, chat_id)
    hang_up_after.append(caller)
    assert runtime.calls.active == 1
    assert (await scrape(client)).value("confidant:calls_active") == 1
    caller.mic.say(spoken("I feel tired today"))
    transcript = await caller.event("transcript", final=True)
    assert {"tired", "today"} <= set(transcript["text"].lower().split())
    speaking = await caller.event("speaking")
    assert set(speaking["timings"]) >= {"endOfTurnMs", "transcribeMs", "responseMs"}
    replied = await caller.event("replied")
    assert replied["interrupted"] is False
    await caller.event("listening", after=caller.events.index(replied))
    assert caller.first_sound_after(transcript["at"]) is not None, "no reply audio arrived"

    kept = await messages(client, account, chat_id)
    assert [m["role"] for m in kept] == ["user", "assistant"]
    assert kept[0]["content"] == transcript["text"]
    deltas = "".join(e["text"] for e in caller.events if e["type"] == "delta")
    assert kept[1]["content"].split() == deltas.split()

    response = await client.delete(f"/api/calls/{caller.call_id}", headers=account.headers)
    assert response.status_code == 204
    await caller.event("ended")
    assert runtime.calls.active == 0
    after = await scrape(client)
    assert after.value("confidant:calls_active") == 0
    assert grew(before, after, "confidant:call_voice_to_voice_seconds_count") == 1
    assert grew(before, after, "confidant:call_time_to_first_audio_seconds_count") == 1


async def test_talking_over_the_reply_stops_it_and_keeps_what_was_said(
    client: httpx.AsyncClient,
    runtime: Runtime,
    caller_chat: tuple[Account, str],
    hang_up_after: list[Caller],
) -> None:
    account, chat_id = caller_chat
    before = await scrape(client)
    caller = await call(client, account.headers, chat_id)
    hang_up_after.append(caller)
    caller.mic.say(spoken("tell me a story"))
    speaking = await caller.event("speaking")
    await wait_for(lambda: _true(caller.first_sound_after(speaking["at"]) is not None))
    caller.mic.say(spoken("wait, stop please"))
    stopped = await caller.event("listening", interrupted=True)
    await asyncio.sleep(0.5)
    assert caller.silent_since(stopped["at"] + 0.3), "the companion kept talking"

    async def interrupted_reply_kept() -> bool:
        kept = await messages(client, account, chat_id)
        return any(m["role"] == "assistant" and m.get("interrupted") for m in kept)

    await wait_for(interrupted_reply_kept)
    assert grew(before, await scrape(client), "confidant:call_barge_ins_total") == 1
    kept = await messages(client, account, chat_id)
    reply = next(m for m in kept if m["role"] == "assistant")
    deltas = " ".join(e["text"] for e in caller.events if e["type"] == "delta")
    assert len(reply["content"]) <= len(deltas) + 1
    assert reply["content"].split()[0] in deltas


async def _true(value: bool) -> bool:
    return value


async def test_a_spoken_crisis_gets_help_on_screen_and_in_the_chat(
    client: httpx.AsyncClient,
    caller_chat: tuple[Account, str],
    hang_up_after: list[Caller],
) -> None:
    account, chat_id = caller_chat
    caller = await call(client, account.headers, chat_id)
    hang_up_after.append(caller)
    caller.mic.say(spoken("I want to end my life"))  # what the quick test engine hears well
    crisis = await caller.event("crisis")
    assert crisis["severity"] in ("moderate", "high")
    assert "findahelpline.com" in crisis["resources"]
    speaking = await caller.event("speaking")
    assert speaking["at"] >= crisis["at"]
    deltas = "".join(e["text"] for e in caller.events if e["type"] == "delta")
    assert "findahelpline" not in deltas  # on the screen, not read out
    await caller.event("replied")
    kept = await messages(client, account, chat_id)
    assert kept[-1]["content"].startswith(crisis["resources"])
    assert caller.pc.connectionState == "connected"  # the call stays open


async def test_a_caller_who_hangs_up_or_vanishes_is_cleaned_up(
    client: httpx.AsyncClient,
    runtime: Runtime,
    caller_chat: tuple[Account, str],
    hang_up_after: list[Caller],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account, chat_id = caller_chat
    closed = await call(client, account.headers, chat_id)
    await closed.pc.close()  # no DELETE: the transport says goodbye

    quick = runtime.settings.model_copy(update={"call_media_timeout_seconds": 1.5})
    monkeypatch.setattr(runtime, "settings", quick)
    vanished = await call(client, account.headers, chat_id)
    hang_up_after.append(vanished)
    vanished.mic.stop()  # its audio stops, its connection stays up: gone without a word

    async def none_left() -> bool:
        return runtime.calls.active == 0

    await wait_for(none_left, timeout=20)


def without_lines(sdp: str, prefix: str) -> str:
    return "\r\n".join(line for line in sdp.split("\r\n") if not line.startswith(prefix))


async def test_bad_signalling_stores_nothing(
    client: httpx.AsyncClient,
    runtime: Runtime,
    caller_chat: tuple[Account, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account, chat_id = caller_chat
    caller, sdp = await Caller.offer()
    try:
        post = lambda body, headers=account.headers: client.post(  # noqa: E731
            "/api/calls", json=body, headers=headers
        )
        offer = {"chatId": chat_id, "type": "offer", "sdp": sdp}
        assert_error(await post({**offer, "sdp": "hello"}), 422, "invalid_sdp")
        garbled = sdp.replace("m=audio ", "m=audio port-", 1)
        assert_error(await post({**offer, "sdp": garbled}), 422, "invalid_sdp")
        no_ice = without_lines(sdp, "a=ice-")
        assert_error(await post({**offer, "sdp": no_ice}), 422, "invalid_sdp")
        no_audio = without_lines(sdp, "m=audio")
        assert_error(await post({**offer, "sdp": no_audio}), 422, "invalid_sdp")
        assert_error(await post({**offer, "type": "answer"}), 422)
        assert_error(await post({**offer, "sdp": "v=0\r\n" + "a" * 40_000}), 422)
        assert_error(await post({"type": "offer", "sdp": sdp}), 422)
        assert_error(await post({**offer, "chatId": "no-such-chat"}), 404)
        assert_error(await post(offer, headers={}), 401)
        stranger = await register(client)
        assert_error(await post(offer, headers=stranger.headers), 404)
        monkeypatch.setattr(runtime.calls, "max_active", 0)
        busy = await post(offer)
        assert_error(busy, 503, "too_many_calls")
        assert int(busy.headers["Retry-After"]) > 0
        assert_error(await client.delete("/api/calls/nope", headers=account.headers), 404)
        assert runtime.calls.active == 0
        assert await messages(client, account, chat_id) == []
    finally:
        await caller.close()


async def test_someone_elses_call_cannot_be_hung_up(
    client: httpx.AsyncClient,
    runtime: Runtime,
    caller_chat: tuple[Account, str],
    hang_up_after: list[Caller],
) -> None:
    account, chat_id = caller_chat
    caller = await call(client, account.headers, chat_id)
    hang_up_after.append(caller)
    stranger = await register(client)
    response = await client.delete(f"/api/calls/{caller.call_id}", headers=stranger.headers)
    assert_error(response, 404)
    assert runtime.calls.active == 1


async def test_the_call_config_names_the_ice_servers(client: httpx.AsyncClient) -> None:
    account = await register(client)
    response = await client.get("/api/calls/config", headers=account.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["iceServers"] == []
    assert body["minPauseSeconds"] <= body["defaultPauseSeconds"] <= body["maxPauseSeconds"]


async def test_the_pause_tolerance_is_a_bounded_preference_the_next_call_uses(
    client: httpx.AsyncClient, runtime: Runtime, caller_chat: tuple[Account, str]
) -> None:
    account, _ = caller_chat
    for bad in (0.4, 3.5, "1"):
        refused = await client.patch(
            "/api/users/me",
            json={"preferences": {"callPauseSeconds": bad}},
            headers=account.headers,
        )
        assert_error(refused, 422)
    me = (await client.get("/api/users/me", headers=account.headers)).json()
    assert me["preferences"]["callPauseSeconds"] == 0.8
    for prefs, expected in (
        ({"callPauseSeconds": 1.5}, 1.5),
        ({"callNeverInterrupt": True}, 3.0),
    ):
        patched = await client.patch(
            "/api/users/me", json={"preferences": prefs}, headers=account.headers
        )
        assert patched.status_code == 200, patched.text
        async with runtime.db.transaction() as session:
            user = await session.get(User, account.user_id)
            assert user is not None
            assert calls_service.turn_detector(user).end_of_turn_seconds == expected
