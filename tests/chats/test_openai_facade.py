"""The OpenAI-compatible API, driven by the official `openai` package, and API keys."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import openai
import pytest
from fastapi import FastAPI

from confidant.llm.admission import Admission
from confidant.llm.base import GenerationParams
from confidant.llm.openai_compat import OpenAICompatibleChatModel
from confidant.llm.telemetry import GenerationObservers
from tests.conftest import LiveServer
from tests.helpers import Account, assert_error, register


async def api_key(client: httpx.AsyncClient, account: Account, name: str = "laptop") -> str:
    response = await client.post("/api/auth/api-keys", json={"name": name}, headers=account.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


@pytest.fixture
async def openai_client(
    app: FastAPI, client: httpx.AsyncClient
) -> AsyncIterator[tuple[openai.AsyncOpenAI, Account]]:
    account = await register(client)
    key = await api_key(client, account)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver/v1") as http:
        yield (
            openai.AsyncOpenAI(api_key=key, base_url="http://testserver/v1", http_client=http),
            account,
        )


async def test_models_and_non_streaming_completion(
    openai_client: tuple[openai.AsyncOpenAI, Account],
) -> None:
    sdk, _ = openai_client
    models = [m.id async for m in sdk.models.list()]
    assert models[0] == "confidant"
    completion = await sdk.chat.completions.create(
        model="confidant", messages=[{"role": "user", "content": "hello"}], max_tokens=8
    )
    assert completion.object == "chat.completion"
    assert completion.choices[0].message.role == "assistant"
    assert isinstance(completion.choices[0].message.content, str)
    assert completion.usage is not None
    assert completion.usage.prompt_tokens > 0


async def test_streaming_completion(openai_client: tuple[openai.AsyncOpenAI, Account]) -> None:
    sdk, _ = openai_client
    stream = await sdk.chat.completions.create(
        model="confidant",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "how are you?"},
        ],
        stream=True,
        max_tokens=8,
    )
    chunks = [chunk async for chunk in stream]
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(c.object == "chat.completion.chunk" for c in chunks)


async def test_bad_requests_are_clear_errors(
    openai_client: tuple[openai.AsyncOpenAI, Account], app: FastAPI
) -> None:
    sdk, _ = openai_client
    with pytest.raises(openai.UnprocessableEntityError) as unknown:
        await sdk.chat.completions.create(
            model="gpt-nonexistent", messages=[{"role": "user", "content": "hi"}]
        )
    assert "available" in str(unknown.value.body)
    with pytest.raises(openai.UnprocessableEntityError):
        await sdk.chat.completions.create(
            model="confidant", messages=[{"role": "assistant", "content": "I start"}]
        )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver/v1") as http:
        wrong_key = openai.AsyncOpenAI(
            api_key="cfd_wrong", base_url="http://testserver/v1", http_client=http
        )
        with pytest.raises(openai.AuthenticationError):
            await wrong_key.models.list()


async def test_api_keys_are_shown_once_listed_without_secret_and_revocable(
    client: httpx.AsyncClient,
) -> None:
    account = await register(client)
    key = await api_key(client, account, "phone")
    listed = (await client.get("/api/auth/api-keys", headers=account.headers)).json()
    assert [(k["name"], k["prefix"]) for k in listed] == [("phone", key[:12])]
    assert key not in str(listed)
    v1 = {"Authorization": f"Bearer {key}"}
    assert (await client.get("/v1/models", headers=v1)).status_code == 200
    revoked = await client.delete(f"/api/auth/api-keys/{listed[0]['id']}", headers=account.headers)
    assert revoked.status_code == 204
    assert_error(await client.get("/v1/models", headers=v1), 401)
    assert_error(
        await client.post("/api/auth/api-keys", json={"name": ""}, headers=account.headers), 422
    )
    guest = await client.post("/api/auth/guest")
    guest_headers = {"Authorization": f"Bearer {guest.json()['accessToken']}"}
    assert_error(
        await client.post("/api/auth/api-keys", json={"name": "g"}, headers=guest_headers), 403
    )


def provider_for(
    live_server: LiveServer, key: str, observers: GenerationObservers | None = None
) -> OpenAICompatibleChatModel:
    """Our OpenAI-compatible provider pointed at the live server's own /v1."""
    return OpenAICompatibleChatModel(
        "confidant",
        base_url=f"{live_server.url}/v1",
        api_key=key,
        timeout=30,
        context_window=4096,
        admission=Admission(2, 2),
        observers=observers,
    )


async def test_openai_compatible_provider_talks_to_a_real_server(live_server: LiveServer) -> None:
    """Our own /v1 endpoint is a real OpenAI-compatible server: point the provider at it."""
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        account = await register(http)
        key = await api_key(http, account)
    remote = provider_for(live_server, key)
    params = GenerationParams(max_new_tokens=8, temperature=0.7, top_p=0.9)
    deltas = [d async for d in remote.stream([{"role": "user", "content": "hello"}], params)]
    await remote.aclose()
    assert all(isinstance(d, str) for d in deltas)
