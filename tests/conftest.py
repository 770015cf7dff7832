"""Test harness: the schema is built with `alembic upgrade head`, on SQLite and PostgreSQL.

With CI=true the PostgreSQL and Redis tests must run: a missing server is a failure.
Elsewhere they are skipped when the server cannot be reached.
"""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, NoReturn

import asyncpg
import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from confidant.app.serving import uvicorn_options
from confidant.config import Settings
from confidant.kit import migrate
from confidant.llm.tiny import build_tiny_chat_model
from confidant.main import create_app
from confidant.runtime import Runtime

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_HOST = os.environ.get("CONFIDANT_TEST_PG_HOST", "127.0.0.1")
TINY_MODEL_DIR = Path(tempfile.gettempdir()) / f"confidant-tiny-model-{os.getpid()}"
REDIS_URL = os.environ.get("CONFIDANT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


# Tests whose subject sits above the database (validation at the edge, voice and call
# audio, the reply pipeline's order, charts, metrics, the web client's serving): the
# database code they pass through is tested on both backends elsewhere, so they run on
# SQLite only.
ONE_BACKEND = (
    "tests/app/",
    "tests/companion/",
    "tests/insights/",
    "tests/analytics/test_chart.py",
    "tests/voice/test_engines.py",
    "tests/voice/test_voice_metrics.py",
    "tests/voice/test_voice_websocket.py",
    "tests/test_untrusted_input.py",
    "tests/test_strict_inputs.py::test_wrongly_typed_bodies_are_422_and_store_nothing",
    "tests/test_strict_inputs.py::test_query_dates_are_iso_days_only",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests on the PostgreSQL backend or a Redis server carry its marker, so `make check`
    can leave them to the whole suite (`-m "not slow and not postgres"`); those listed in
    ONE_BACKEND run on SQLite only."""
    one_backend = [item for item in items if _on_postgres(item) and _one_backend(item)]
    if one_backend:
        config.hook.pytest_deselected(items=one_backend)
        items[:] = [item for item in items if item not in one_backend]
    for item in items:
        if _on_postgres(item):
            item.add_marker(pytest.mark.postgres)
        if "redis_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.redis)


def _on_postgres(item: pytest.Item) -> bool:
    """On the PostgreSQL side of `settings` or of any fixture parametrised by backend."""
    callspec = getattr(item, "callspec", None)
    return callspec is not None and any(
        isinstance(value, str) and value == "postgres" for value in callspec.params.values()
    )


def _one_backend(item: pytest.Item) -> bool:
    return item.nodeid.startswith(ONE_BACKEND)


@pytest.fixture(scope="session", autouse=True)
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random-weight chat model saved like a real one; nothing is downloaded."""
    return build_tiny_chat_model(TINY_MODEL_DIR, context_window=2048)


# The quick engines for most tests; tests/test_bundled_models.py runs the real defaults.
FAST_VOICE = {
    "voice_stt_engine": "pocketsphinx",
    "voice_stt_model": None,
    "voice_tts_engine": "espeak-ng",
    "voice_tts_model": None,
}
FAST_HASHING = {"argon2_time_cost": 1, "argon2_memory_kib": 1024, "argon2_parallelism": 1}
GENEROUS_LIMITS = {"login_rate_per_ip": 100_000, "login_rate_per_account": 100_000}


def required_in_ci(missing: str) -> NoReturn:
    """Something a test needs is missing: a failure in CI, a skip elsewhere."""
    if IN_CI:
        pytest.fail(f"required in CI: {missing}")
    pytest.skip(missing)


def service_unavailable(what: str, error: Exception) -> NoReturn:
    required_in_ci(f"{what} not reachable here: {error}")


async def pg_admin(statement: str) -> None:
    """Run one statement as postgres on the maintenance database."""
    connection = await asyncpg.connect(host=PG_HOST, user="postgres", database="postgres")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def pg_url(name: str) -> str:
    return f"postgresql+asyncpg://postgres@{PG_HOST}:5432/{name}"


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "llm_model": str(TINY_MODEL_DIR),
        "llm_max_new_tokens": 12,
        "jwt_secret": "test-jwt-secret-" + "x" * 32,
        "ledger_checkpoint_leaves": 1,  # a checkpoint after every sequencing step
        "jobs_worker": "external",  # job tests start real workers themselves
        **FAST_VOICE,
        **FAST_HASHING,
        **GENEROUS_LIMITS,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
async def settings(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path
) -> AsyncIterator[Settings]:
    """A migrated main database and keystore, one pair per backend for the session."""
    data_dir = tmp_path_factory.mktemp(f"data-{request.param}")
    if request.param == "sqlite":
        settings = make_settings(data_dir)
        await upgrade_schema(settings)
        async for ready in with_worker(settings):
            yield ready
        return
    suffix = uuid.uuid4().hex[:10]
    names = [f"confidant_test_{suffix}", f"confidant_test_{suffix}_keys"]
    try:
        for name in names:
            await pg_admin(f'CREATE DATABASE "{name}"')
    except (OSError, asyncpg.PostgresError) as error:
        service_unavailable("PostgreSQL at 127.0.0.1:5432", error)
    settings = make_settings(data_dir, database_url=pg_url(names[0]), keystore_url=pg_url(names[1]))
    await upgrade_schema(settings)
    async for ready in with_worker(settings):
        yield ready
    for name in names:
        await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def with_worker(
    settings: Settings, env: dict[str, str] | None = None
) -> AsyncIterator[Settings]:
    """The settings, with a real `confidant worker` taking their jobs (through the
    embedded broker on their DATA_DIR) until the session ends; `env`: more settings."""
    from tests.helpers import start_worker, stop_worker

    worker = start_worker(settings, settings.data_dir / "worker.log", env)
    try:
        yield settings
    finally:
        stop_worker(worker)


async def upgrade_schema(settings: Settings) -> None:
    """`alembic upgrade head` (its env.py runs its own event loop, hence the thread)."""
    await asyncio.to_thread(migrate.upgrade, settings)


async def started_app(settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        await app.state.runtime.models.wait_until_settled()
        yield app


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    async for started in started_app(settings):
        yield started


@pytest.fixture(scope="session")
def runtime(app: FastAPI) -> Runtime:
    rt: Runtime = app.state.runtime
    return rt


def client_for(app: FastAPI, ip: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000), raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as http:
        yield http


@pytest.fixture
def redis_url() -> Iterator[str]:
    import redis

    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.RedisError as error:
        service_unavailable("Redis at 127.0.0.1:6379", error)
    connection.flushdb()
    yield REDIS_URL
    connection.flushdb()
    connection.close()


class LiveServer:
    """The app served by a real uvicorn on a free loopback port, in a thread of its own."""

    def __init__(self, settings: Settings) -> None:
        self.app = create_app(settings)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", **uvicorn_options()
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def runtime(self) -> Runtime:
        rt: Runtime = self.app.state.runtime
        return rt

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("live server did not start")
            time.sleep(0.05)
        while self.runtime.models._loading:
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


async def served(settings: Settings) -> AsyncIterator[LiveServer]:
    """A freshly migrated database for `settings`, served live until the test ends."""
    await upgrade_schema(settings)
    server = LiveServer(settings)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def live_server(settings: Settings) -> Iterator[LiveServer]:
    server = LiveServer(settings)
    server.start()
    yield server
    server.stop()
