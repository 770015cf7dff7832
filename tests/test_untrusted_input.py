"""Deeply nested JSON is refused before any parser recurses, on every way in, and no
import leaves the interpreter's recursion limit raised for the server or its worker."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from confidant.config import Settings
from confidant.kit.jsonsafe import MAX_JSON_DEPTH, TooDeeplyNested, loads, nested_deeper_than
from tests.conftest import LiveServer
from tests.helpers import assert_error, free_port, register, serve, wait_ready


def nested(depth: int, opener: str = "[", closer: str = "]") -> str:
    return opener * depth + closer * depth


def test_depth_at_the_limit_passes_and_one_more_is_refused() -> None:
    assert not nested_deeper_than(nested(MAX_JSON_DEPTH))
    assert nested_deeper_than(nested(MAX_JSON_DEPTH + 1))
    objects = '{"a":' * (MAX_JSON_DEPTH + 1) + "1" + "}" * (MAX_JSON_DEPTH + 1)
    assert nested_deeper_than(objects)
    with pytest.raises(TooDeeplyNested):
        loads(objects)
    assert loads(nested(MAX_JSON_DEPTH)) == json.loads(nested(MAX_JSON_DEPTH))


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps({"note": "[" * 10_000 + '\\" {{{ "' + "}" * 500})
    assert not nested_deeper_than(text)
    assert loads(text)["note"].startswith("[[[")


def test_wide_documents_are_not_deep() -> None:
    wide = json.dumps([[[1, 2], {"a": [3]}] for _ in range(20_000)])
    assert not nested_deeper_than(wide)


def test_malformed_shallow_input_is_left_for_the_parser() -> None:
    assert not nested_deeper_than("[" * 10 + "}" * 100)
    with pytest.raises(ValueError, match="Expecting"):
        loads("[" * 10 + "}" * 100)


@st.composite
def documents(draw: st.DrawFn) -> tuple[object, int]:
    """A JSON value and its nesting depth: arrays and objects inside one another around
    a string full of brackets and quotes."""
    shape = draw(st.lists(st.booleans(), max_size=MAX_JSON_DEPTH + 6))
    value: object = draw(st.text(alphabet='[]{}"\\ab', max_size=8))
    for is_array in shape:
        value = [value, 1] if is_array else {"k[": value}
    return value, len(shape)


@given(documents())
def test_depth_is_measured_exactly(document: tuple[object, int]) -> None:
    value, depth = document
    assert nested_deeper_than(json.dumps(value)) == (depth > MAX_JSON_DEPTH)


async def test_deep_bodies_are_400_on_every_json_route(client: httpx.AsyncClient) -> None:
    account = await register(client)
    deep = nested(100_000).encode()
    for path, headers in [
        ("/api/auth/login", {}),
        ("/api/diary", account.headers),
        ("/v1/chat/completions", account.headers),
    ]:
        for content_type in ("application/json", "application/merge-patch+json", None):
            sent = {**headers, **({"Content-Type": content_type} if content_type else {})}
            response = await client.post(path, content=deep, headers=sent)
            assert_error(response, 400, "json_too_deep")
    shallow = await client.post("/api/auth/login", json={"email": "x@example.com", "password": []})
    assert_error(shallow, 422)


async def test_deep_diary_import_is_refused(client: httpx.AsyncClient) -> None:
    account = await register(client)
    files = {"file": ("diary.json", nested(50_000).encode(), "application/json")}
    response = await client.post("/api/diary/import", files=files, headers=account.headers)
    error = assert_error(response, 422)
    assert "nested deeper" in error["message"]


@pytest.mark.slow
def test_a_deep_request_leaves_a_real_server_alive(settings: Settings, tmp_path: Path) -> None:
    """The crash needed the real server process: the recursion limit web3 raised."""
    import asyncio

    async def scenario() -> None:
        port = free_port()
        server = serve(settings, port, tmp_path / "server.log")
        url = f"http://127.0.0.1:{port}"
        try:
            await wait_ready(url, server)
            async with httpx.AsyncClient(base_url=url, timeout=30) as http:
                deep = nested(100_000).encode()
                for content_type in ("application/json", "text/plain"):
                    response = await http.post(
                        "/api/auth/login", content=deep, headers={"Content-Type": content_type}
                    )
                    assert 400 <= response.status_code < 500
                    assert set(response.json()["error"]) == {"code", "message", "details"}
                assert (await http.get("/healthz")).status_code == 200
            assert server.poll() is None
        finally:
            server.terminate()
            server.wait(timeout=30)

    asyncio.run(scenario())


RECURSION_LIMIT_AFTER = """
import sys, pkgutil, importlib
import confidant
{body}
print(sys.getrecursionlimit())
"""


def recursion_limit_after(body: str, env: dict[str, str] | None = None) -> int:
    result = subprocess.run(
        [sys.executable, "-c", RECURSION_LIMIT_AFTER.format(body=body)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_no_module_of_ours_raises_the_recursion_limit_when_imported() -> None:
    body = """
for module in pkgutil.walk_packages(confidant.__path__, "confidant."):
    if module.name != "confidant.__main__":  # that one runs the command
        importlib.import_module(module.name)
"""
    assert recursion_limit_after(body) == 1000


def test_recursion_limit_is_the_default_after_create_app_and_in_a_worker(
    tmp_path: Path,
) -> None:
    app = f"""
from confidant.config import Settings
from confidant.main import create_app
import sys; sys.setrecursionlimit(100_000)  # as an import once did
create_app(Settings(_env_file=None, data_dir={str(tmp_path)!r}))
"""
    assert recursion_limit_after(app) == 1000
    worker = f"""
from unittest import mock
from confidant.config import Settings
from confidant.jobs import worker
from confidant.runtime import Runtime
import sys; sys.setrecursionlimit(100_000)
with mock.patch("celery.Celery.worker_main"):  # its loop would never return
    worker.run_worker(Settings(_env_file=None, data_dir={str(tmp_path)!r}), 1, Runtime.start)
"""
    assert recursion_limit_after(worker) == 1000


async def test_an_over_long_url_is_400_in_the_error_shape(live_server: LiveServer) -> None:
    import asyncio

    # httpx refuses to send such a URL, so the request goes over a plain socket.
    reader, writer = await asyncio.open_connection("127.0.0.1", live_server.port)
    writer.write(b"GET /api/search?q=" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), timeout=30)
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"content-type: application/json" in head.lower()
    error = json.loads(body)["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == "bad_request"
    assert "URL" in error["message"]
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        assert (await http.get("/healthz")).status_code == 200


async def test_deep_websocket_frames_are_refused_and_the_socket_stays_open(
    live_server: LiveServer,
) -> None:
    import websockets

    async with httpx.AsyncClient(base_url=live_server.url) as http:
        account = await register(http)
        chat = (await http.post("/api/chats", json={}, headers=account.headers)).json()
    url = f"{live_server.ws_url}/ws/chats/{chat['id']}?token={account.access}"
    async with websockets.connect(url, max_size=None) as ws:
        await ws.send('{"type": "message", "content": ' + nested(100_000) + "}")
        assert json.loads(await ws.recv())["error"]["code"] == "json_too_deep"
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await ws.recv()) == {"type": "pong"}
