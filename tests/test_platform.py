"""Health, metrics, request ids, the one error shape, body limits, settings, migrations."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy import func, select

from confidant.auth.models import User
from confidant.config import Settings
from confidant.kit import migrate
from confidant.runtime import Runtime
from tests.conftest import make_settings
from tests.helpers import PASSWORD, assert_error, register, run_cli, settings_env, unique_email


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json() == {"status": "ready"}


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient) -> None:
    account = await register(client)
    await client.get("/api/users/me", headers=account.headers)
    await client.get(f"/api/users/{account.user_id}/avatar")  # 404, templated route
    text = (await client.get("/metrics")).text
    assert 'confidant_http_requests_total{method="GET",route="/api/users/me",status="200"}' in text
    assert 'route="/api/users/{user_id}/avatar",status="404"' in text
    assert account.user_id not in text
    assert "confidant_http_request_duration_seconds_bucket" in text


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    echoed = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    generated = await client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert len(generated.headers["x-request-id"]) == 32


async def count_users(runtime: Runtime) -> int:
    async with runtime.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(User)) or 0)


async def test_malformed_and_wrongly_typed_bodies_are_4xx_and_write_nothing(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    before = await count_users(runtime)
    malformed = await client.post(
        "/api/auth/register",
        content=b'{"email": "a@b.c", ',
        headers={"Content-Type": "application/json"},
    )
    assert_error(malformed, 400, "invalid_json")
    wrong_types = await client.post(
        "/api/auth/register", json={"email": 12, "password": ["x"], "name": {"a": 1}}
    )
    error = assert_error(wrong_types, 422, "validation_error")
    assert {d["field"] for d in error["details"]} == {"body.email", "body.password", "body.name"}
    unknown = await client.post(
        "/api/auth/register",
        json={"email": unique_email(), "password": PASSWORD, "name": "X", "role": "admin"},
    )
    assert assert_error(unknown, 422)["details"][0]["field"] == "body.role"
    huge = await client.post(
        "/api/auth/register",
        json={"email": unique_email(), "password": PASSWORD, "name": "x" * 100_000},
    )
    assert_error(huge, 422)
    not_json = await client.post(
        "/api/auth/login", content=b"email=a", headers={"Content-Type": "text/plain"}
    )
    assert 400 <= not_json.status_code < 500
    assert await count_users(runtime) == before


async def test_bodies_over_the_limit_are_413_with_or_without_content_length(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    before = await count_users(runtime)
    padding = "x" * (runtime.settings.max_body_bytes + 1)
    declared = await client.post(
        "/api/auth/register", json={"email": unique_email(), "password": PASSWORD, "name": padding}
    )
    assert_error(declared, 413, "payload_too_large")

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"email": "' + unique_email().encode() + b'", "name": "'
        for _ in range(20):
            yield b"y" * 65536
        yield b'", "password": "long enough password"}'

    streamed = await client.post(
        "/api/auth/register", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert_error(streamed, 413, "payload_too_large")
    assert await count_users(runtime) == before


async def test_unknown_routes_and_methods_use_the_error_shape(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/api/nothing-here"), 404, "not_found")
    assert_error(await client.delete("/api/auth/login"), 405, "method_not_allowed")


async def test_unexpected_errors_are_500_without_a_stack_trace(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    async def explode() -> None:
        raise RuntimeError("secret internal detail in /srv/confidant/module.py")

    app.add_api_route("/test-only/explode", explode)
    try:
        response = await client.get("/test-only/explode")
    finally:
        app.router.routes.pop()
    assert_error(response, 500, "internal_error")
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text


def test_production_refuses_missing_or_placeholder_secrets(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as missing:
        Settings(_env_file=None, env="production", data_dir=tmp_path)  # type: ignore[call-arg]
    assert "CONFIDANT_MASTER_KEY" in str(missing.value)
    assert "CONFIDANT_JWT_SECRET" in str(missing.value)
    with pytest.raises(ValidationError) as placeholder:
        Settings(  # type: ignore[call-arg]
            _env_file=None, env="production", master_key="changethis", jwt_secret="k" * 40
        )
    assert "CONFIDANT_MASTER_KEY" in str(placeholder.value)
    assert "CONFIDANT_JWT_SECRET" not in str(placeholder.value)
    with pytest.raises(ValidationError, match="shorter than 32"):
        Settings(_env_file=None, env="production", master_key="a" * 43, jwt_secret="short")  # type: ignore[call-arg]
    ok = Settings(_env_file=None, env="production", master_key="a" * 43, jwt_secret="k" * 40)  # type: ignore[call-arg]
    assert ok.env == "production"


def test_cli_serve_in_production_says_which_secret_is_missing(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFIDANT_")}
    env.update(CONFIDANT_ENV="production", CONFIDANT_DATA_DIR=str(tmp_path))
    result = run_cli(env, "serve", cwd=tmp_path)
    assert result.returncode == 2
    assert "CONFIDANT_MASTER_KEY" in result.stderr
    assert "CONFIDANT_JWT_SECRET" in result.stderr


def test_migrations_downgrade_and_upgrade_cleanly(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    migrate.upgrade(settings)
    migrate.downgrade(settings, "base")
    migrate.upgrade(settings)
    import sqlite3

    with sqlite3.connect(tmp_path / "confidant.db") as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        user_indexes = connection.execute("PRAGMA index_list(users)").fetchall()
    assert {"users", "sessions", "medical_cards", "avatars"} <= tables
    assert sum(1 for index in user_indexes if index[2]) >= 3  # id, email index, phone index


@pytest.mark.slow
async def test_cli_create_admin_promotes_and_creates(
    settings: Settings, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    account = await register(client)
    env = {**os.environ, **settings_env(settings)}
    # In a thread: the app must keep serving (and finishing its own transactions) meanwhile.
    promote = await asyncio.to_thread(run_cli, env, "create-admin", "--email", account.email)
    assert promote.returncode == 0, promote.stderr
    login = await client.post(
        "/api/auth/login", json={"email": account.email, "password": PASSWORD}
    )
    assert login.json()["role"] == "admin"

    missing_password = await asyncio.to_thread(
        run_cli, env, "create-admin", "--email", unique_email()
    )
    assert missing_password.returncode == 1
    assert "password" in missing_password.stderr


def test_data_dir_and_generated_secrets_are_private(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "fresh-data", jwt_secret=None)
    secret = settings.resolved_jwt_secret()
    assert len(secret) >= 32
    assert secret == settings.resolved_jwt_secret()  # generated once, then reused
    assert (settings.data_dir.stat().st_mode & 0o777) == 0o700
    assert ((settings.data_dir / "jwt.secret").stat().st_mode & 0o777) == 0o600


@pytest.mark.slow
async def test_cli_rag_reindex(settings: Settings, client: httpx.AsyncClient) -> None:
    account = await register(client)
    created = await client.post(
        "/api/diary",
        json={"date": "2025-01-01", "text": "Reindex me please."},
        headers=account.headers,
    )
    assert created.status_code == 201, created.text
    result = await asyncio.to_thread(
        run_cli,
        {**os.environ, **settings_env(settings)},
        "rag",
        "reindex",
        "--user",
        account.user_id,
    )
    assert result.returncode == 0, result.stderr
    assert "indexed 1 chunks" in result.stdout, result.stderr
