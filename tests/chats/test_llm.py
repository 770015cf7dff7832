"""The model layer: loading through from_pretrained, streaming, the bounded queue,
context fitting, hot swapping, unavailable models, and OpenAI-compatible servers."""

from __future__ import annotations

import asyncio
import socket
import uuid
from pathlib import Path

import asyncpg
import pytest

from confidant.kit.errors import InvalidInput
from confidant.llm.admission import Admission
from confidant.llm.base import GenerationParams, ModelBusy, UpstreamError
from confidant.llm.context import fit_context
from confidant.llm.huggingface_connection import HuggingFaceChatModel
from confidant.llm.openai_compat import OpenAICompatibleChatModel
from confidant.llm.registry import ModelRegistry
from tests.conftest import (
    TINY_MODEL_DIR,
    client_for,
    make_settings,
    pg_admin,
    pg_url,
    service_unavailable,
    started_app,
    upgrade_schema,
)
from tests.helpers import assert_error, register

PARAMS = GenerationParams(max_new_tokens=8, temperature=0.7, top_p=0.95)


@pytest.fixture(scope="module")
def tiny() -> HuggingFaceChatModel:
    return HuggingFaceChatModel(str(TINY_MODEL_DIR), admission=Admission(2, 1))


async def test_tiny_model_loads_through_from_pretrained_and_streams(
    tiny: HuggingFaceChatModel,
) -> None:
    assert tiny.device in ("cpu", "cuda")
    before = tiny.tokens_generated
    deltas = [d async for d in tiny.stream([{"role": "user", "content": "hello"}], PARAMS)]
    assert all(isinstance(d, str) and d for d in deltas)
    assert 1 <= tiny.tokens_generated - before <= PARAMS.max_new_tokens
    assert tiny.count_tokens([{"role": "user", "content": "hello"}]) > 1


async def test_closing_the_stream_stops_generation(tiny: HuggingFaceChatModel) -> None:
    long = GenerationParams(max_new_tokens=400, temperature=1.0, top_p=1.0)
    stream = tiny.stream([{"role": "user", "content": "hello"}], long)
    before = tiny.tokens_generated
    async for _ in stream:
        break
    await stream.aclose()
    stopped_at = tiny.tokens_generated
    await asyncio.sleep(0.3)
    assert tiny.tokens_generated == stopped_at, "the model kept producing after the reader left"
    assert stopped_at - before < 400


async def test_bounded_queue_refuses_with_retry_after() -> None:
    admission = Admission(max_running=1, max_waiting=1)
    release = asyncio.Event()

    async def hold() -> None:
        async with admission.slot():
            await release.wait()

    running = asyncio.create_task(hold())
    waiting = asyncio.create_task(hold())
    await asyncio.sleep(0.01)
    with pytest.raises(ModelBusy) as busy:
        async with admission.slot():
            pass
    assert busy.value.status_code == 503
    assert busy.value.headers["Retry-After"]
    release.set()
    await asyncio.gather(running, waiting)
    async with admission.slot():
        pass


def test_context_keeps_system_prompt_and_newest_turns(tiny: HuggingFaceChatModel) -> None:
    history = [
        {"role": "user" if n % 2 == 0 else "assistant", "content": f"turn {n} " + "word " * 40}
        for n in range(30)
    ]
    context = fit_context(tiny, "SYSTEM PROMPT", history, reserve=64)
    assert context[0] == {"role": "system", "content": "SYSTEM PROMPT"}
    assert context[-1] == history[-1]
    assert 1 < len(context) < len(history)
    assert context[1]["role"] == "user"
    kept = context[1:]
    assert kept == history[-len(kept) :]
    assert tiny.count_tokens(context) <= tiny.context_window - 64
    with pytest.raises(InvalidInput):
        fit_context(tiny, "SYSTEM", [{"role": "user", "content": "word " * 2000}], reserve=64)


async def test_unavailable_model_says_why_and_chat_answers_503(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, llm_model=str(tmp_path / "no-weights-here"))
    await upgrade_schema(settings)
    async for app in started_app(settings):
        async with client_for(app) as http:
            ready = await http.get("/readyz")
            assert ready.status_code == 200  # sign-in, diary and crisis help still work
            assert ready.json()["status"] == "degraded"
            assert "CONFIDANT_LLM_MODEL" in ready.json()["reason"]
            account = await register(http)
            models = (await http.get("/api/models", headers=account.headers)).json()
            assert models[0]["status"] == "unavailable"
            assert models[0]["reason"]
            chat = await http.post("/api/chats", json={}, headers=account.headers)
            reply = await http.post(
                "/api/messages",
                json={"chatId": chat.json()["id"], "content": "hello"},
                headers=account.headers,
            )
            error = assert_error(reply, 503, "model_unavailable")
            assert "CONFIDANT_LLM_PROVIDER=openai" in error["message"]
            history = await http.get(
                f"/api/chats/{chat.json()['id']}/messages", headers=account.headers
            )
            assert history.json()["items"] == []  # nothing half-stored, never a fake answer


async def test_admin_hot_swaps_the_model(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    await upgrade_schema(settings)
    second_copy = tmp_path / "second-model"
    import shutil

    shutil.copytree(TINY_MODEL_DIR, second_copy)
    async for app in started_app(settings):
        registry: ModelRegistry = app.state.runtime.models
        async with client_for(app) as http:
            user = await register(http)
            refused = await http.post(
                "/api/models/use", json={"model": str(second_copy)}, headers=user.headers
            )
            assert_error(refused, 403)
            from confidant.auth import service as auth_service

            async with app.state.runtime.db.transaction() as session:
                await auth_service.create_admin(app.state.runtime, session, user.email, "A", None)
            admin = await http.post(
                "/api/auth/login", json={"email": user.email, "password": user.password}
            )
            headers = {"Authorization": f"Bearer {admin.json()['accessToken']}"}
            switched = await http.post(
                "/api/models/use", json={"model": str(second_copy)}, headers=headers
            )
            assert switched.status_code == 202
            assert registry.default_name == str(TINY_MODEL_DIR)  # the old one still serves
            await registry.wait_until_settled()
            assert registry.default_name == str(second_copy)
            listed = (await http.get("/api/models", headers=headers)).json()
            assert {m["name"]: m["default"] for m in listed}[str(second_copy)] is True
            bad = await http.post(
                "/api/models/use", json={"model": str(tmp_path / "missing")}, headers=headers
            )
            assert bad.status_code == 202
            await registry.wait_until_settled()
            assert registry.default_name == str(second_copy)  # a failed load changes nothing


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def hanging_server() -> tuple[asyncio.AbstractServer, int]:
    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read()  # until the client gives up and hangs up
        finally:
            writer.close()

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def status_server(status: int) -> tuple[asyncio.AbstractServer, int]:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        body = b'{"error": {"message": "nope"}}'
        writer.write(
            f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def remote(port: int, timeout: float = 5.0) -> OpenAICompatibleChatModel:
    return OpenAICompatibleChatModel(
        "remote-model",
        base_url=f"http://127.0.0.1:{port}/v1",
        api_key="k",
        timeout=timeout,
        context_window=4096,
        admission=Admission(2, 2),
    )


async def drain(model: OpenAICompatibleChatModel) -> str:
    try:
        return "".join([d async for d in model.stream([{"role": "user", "content": "hi"}], PARAMS)])
    finally:
        await model.aclose()


async def test_openai_compatible_errors_map_to_502_503_504() -> None:
    with pytest.raises(UpstreamError) as unreachable:
        await drain(remote(closed_port()))
    assert unreachable.value.status_code == 502
    server, port = await hanging_server()
    async with server:
        with pytest.raises(UpstreamError) as slow:
            await drain(remote(port, timeout=0.5))
        assert slow.value.status_code == 504
    for upstream, expected in [(503, 503), (429, 503), (500, 502), (401, 502)]:
        server, port = await status_server(upstream)
        async with server:
            with pytest.raises(UpstreamError) as failed:
                await drain(remote(port))
            assert failed.value.status_code == expected


async def test_a_full_queue_answers_503_with_retry_after(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, llm_max_concurrency=1, llm_max_queue=0, llm_max_new_tokens=1500
    )
    await upgrade_schema(settings)
    async for app in started_app(settings):
        async with client_for(app) as http:
            account = await register(http)
            chat = (await http.post("/api/chats", json={}, headers=account.headers)).json()
            body = {"chatId": chat["id"], "content": "tell me everything"}
            first = asyncio.create_task(
                http.post("/api/messages", json=body, headers=account.headers)
            )
            model = app.state.runtime.models.get()
            while model.tokens_generated == 0:  # the first reply holds the only slot
                await asyncio.sleep(0.01)
            second = await http.post("/api/messages", json=body, headers=account.headers)
            error = assert_error(second, 503, "model_busy")
            assert int(second.headers["Retry-After"]) > 0
            assert "busy" in error["message"]
            assert (await first).status_code == 200


async def test_a_hub_id_not_in_the_local_cache_fails_at_once_with_the_reason(
    tmp_path: Path,
) -> None:
    """Nothing is downloaded at run time: no hub retries for a minute, a clear reason."""
    settings = make_settings(tmp_path, llm_model="HuggingFaceTB/no-such-model-in-the-cache")
    await upgrade_schema(settings)
    started = asyncio.get_running_loop().time()
    async for app in started_app(settings):  # waits until the model load has settled
        settled = asyncio.get_running_loop().time() - started
        async with client_for(app) as http:
            ready = (await http.get("/readyz")).json()
    assert ready["status"] == "degraded"
    assert "no-such-model-in-the-cache" in ready["reason"]
    assert settled < 30, settled


@pytest.mark.postgres
async def test_readiness_is_503_while_the_keystore_is_unreachable(tmp_path: Path) -> None:
    """A real fault: the keystore's PostgreSQL database goes away under a running app."""
    name = f"confidant_ready_{uuid.uuid4().hex[:10]}"
    try:
        await pg_admin(f'CREATE DATABASE "{name}"')
    except (OSError, asyncpg.PostgresError) as error:
        service_unavailable("PostgreSQL at 127.0.0.1:5432", error)
    settings = make_settings(tmp_path, keystore_url=pg_url(name))
    try:
        await upgrade_schema(settings)
        async for app in started_app(settings):
            async with client_for(app) as http:
                assert (await http.get("/readyz")).json()["status"] == "ready"
                await pg_admin(f'DROP DATABASE "{name}" WITH (FORCE)')
                error = assert_error(await http.get("/readyz"), 503, "not_ready")
                assert "keystore" in error["message"]
                assert (await http.get("/healthz")).status_code == 200
    finally:
        await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
