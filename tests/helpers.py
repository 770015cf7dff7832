"""Small helpers shared by the API tests."""

from __future__ import annotations

import asyncio
import io
import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from confidant.config import Settings
from confidant.jobs.models import FAILED, QUEUED, RUNNING, Job
from confidant.kit.db import Database
from tests.conftest import TINY_MODEL_DIR

PASSWORD = "correct horse battery staple"


@dataclass
class Account:
    user_id: str
    email: str
    password: str
    access: str
    refresh: str
    body: dict[str, Any]

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.access)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


async def register(http: httpx.AsyncClient, **fields: Any) -> Account:
    payload = {"email": unique_email(), "password": PASSWORD, "name": "Test Person", **fields}
    response = await http.post("/api/auth/register", json=payload)
    assert response.status_code == 201, response.text
    body = response.json()
    return Account(
        body["userId"],
        payload["email"],
        payload["password"],
        body["accessToken"],
        body["refreshToken"],
        body,
    )


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is the one error shape with this status (and code)."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert isinstance(error["message"], str)
    assert error["message"]
    if code is not None:
        assert error["code"] == code, error
    return dict(error)


def run_cli(
    env: dict[str, str], *args: str, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run the `confidant` command with no terminal attached."""
    return subprocess.run(
        [sys.executable, "-m", "confidant", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def settings_env(settings: Settings) -> dict[str, str]:
    env = {
        "CONFIDANT_DATA_DIR": str(settings.data_dir),
        "CONFIDANT_DATABASE_URL": settings.resolved_database_url,
        "CONFIDANT_KEYSTORE_URL": settings.resolved_keystore_url,
        "CONFIDANT_JWT_SECRET": settings.resolved_jwt_secret(),
        "CONFIDANT_LLM_MODEL": settings.llm_model,
        "CONFIDANT_VOICE_STT_ENGINE": settings.voice_stt_engine,
        "CONFIDANT_VOICE_STT_MODEL": settings.voice_stt_model or "",
        "CONFIDANT_VOICE_TTS_ENGINE": settings.voice_tts_engine,
        "CONFIDANT_VOICE_TTS_MODEL": settings.voice_tts_model or "",
    }
    if settings.redis_url:
        env["CONFIDANT_REDIS_URL"] = settings.redis_url
    return env


def start_worker(
    settings: Settings, log: Path, extra_env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """A real `confidant worker` process for these settings."""
    env = {
        **os.environ,
        **settings_env(settings),
        "CONFIDANT_JOBS_HEARTBEAT_SECONDS": str(settings.jobs_heartbeat_seconds),
        "HF_HUB_OFFLINE": "1",
        **(extra_env or {}),
    }
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "confidant", "worker"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=30)


async def jobs_settled(db: Database, limit: float = 120) -> None:
    """Wait until the workers have finished every job; a failed job fails the test."""
    deadline = time.monotonic() + limit
    while True:
        async with db.transaction() as session:
            waiting = await session.scalar(
                select(func.count()).where(Job.state.in_([QUEUED, RUNNING]))
            )
            if not waiting:
                query = select(Job.kind, Job.detail).where(Job.state == FAILED)
                failed = (await session.execute(query)).all()
                assert not failed, f"jobs failed: {failed}"
                return
        assert time.monotonic() < deadline, f"{waiting} jobs still waiting for a worker"
        await asyncio.sleep(0.05)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(settings: Settings, port: int, log: Path, workers: int = 1) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        **settings_env(settings),
        "CONFIDANT_LLM_MODEL": str(TINY_MODEL_DIR),
        "CONFIDANT_ARGON2_TIME_COST": "1",
        "CONFIDANT_ARGON2_MEMORY_KIB": "1024",
        "CONFIDANT_LEDGER_CHECKPOINT_LEAVES": "50",
        "CONFIDANT_JOBS_WORKER": settings.jobs_worker,
    }
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "confidant", "serve", "--port", str(port)]
            + ["--workers", str(workers)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )


async def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    async with httpx.AsyncClient(base_url=url) as http:
        while time.monotonic() < deadline:
            assert process.poll() is None, "the server exited"
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError("the server did not come up")


def decode_qr(png: bytes) -> str:
    """The text of the one QR code in a PNG.

    Only QR symbols are looked for: with every format on, zxing now and then also
    reads a linear barcode out of a random QR pattern."""
    results = zxingcpp.read_barcodes(
        Image.open(io.BytesIO(png)), formats=zxingcpp.BarcodeFormat.QRCode
    )
    texts = {result.text for result in results}
    assert len(texts) == 1, texts
    return texts.pop()


async def rows_of(db: Database, model: Any, user_id: str) -> int:
    """How many rows of a table with a `user_id` column belong to the user."""
    async with db.transaction() as session:
        query = select(func.count()).select_from(model).where(model.user_id == user_id)
        return int(await session.scalar(query) or 0)
