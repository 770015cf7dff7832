"""Adapters, voice clips and avatars in an S3-compatible bucket (moto's server mode, an
S3-protocol server run here): adapters written by the worker and read by the API
process, sealed; clips sealed and out of the database; every object of a deleted
account removed. Nothing lands in DATA_DIR/adapters."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from fastapi import FastAPI
from moto.server import ThreadedMotoServer
from sqlalchemy import select

from confidant.config import Settings
from confidant.kit import blobs
from confidant.users import service as users_service
from confidant.voice import service as voice_service
from confidant.voice.models import VoiceClip
from tests.conftest import client_for, make_settings, started_app, upgrade_schema, with_worker
from tests.finetune.test_finetune import (
    fine_tune,
    no_automatic_fine_tunes,
    reply,
    wait_until,
    write_history,
)
from tests.helpers import free_port, jobs_settled, register
from tests.users.test_profile_and_card import image_bytes
from tests.voice.speech import spoken
from tests.voice.test_voice_api import account_with_chat, send_voice

BUCKET = "confidant-test"
CREDENTIALS = {"object_store_access_key_id": "testing", "object_store_secret_access_key": "testing"}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def bucket_client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def stored_keys(endpoint: str, prefix: str) -> list[str]:
    listed = bucket_client(endpoint).list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return [item["Key"] for item in listed.get("Contents", [])]


@pytest.fixture
async def bucket_deployment(
    tmp_path: Path, s3_endpoint: str
) -> AsyncIterator[tuple[Settings, FastAPI]]:
    bucket_client(s3_endpoint).create_bucket(Bucket=BUCKET)
    values = {"object_store_bucket": BUCKET, "object_store_endpoint_url": s3_endpoint}
    settings = make_settings(tmp_path / "data", **values, **CREDENTIALS)
    await upgrade_schema(settings)
    env = {f"CONFIDANT_{name.upper()}": value for name, value in {**values, **CREDENTIALS}.items()}
    async for ready in with_worker(settings, env):
        async for app in started_app(ready):
            yield ready, app


@pytest.mark.slow
async def test_adapters_live_sealed_in_the_bucket_and_go_with_the_account(
    bucket_deployment: tuple[Settings, FastAPI], s3_endpoint: str
) -> None:
    settings, app = bucket_deployment
    async with client_for(app) as http:
        owner = await register(http)
        await no_automatic_fine_tunes(http, owner)
        await write_history(http, owner, "Baked sourdough")
        await jobs_settled(app.state.runtime.db)
        before = await reply(app, http, owner)
        started = await fine_tune(http, owner)
        done = await wait_until(http, owner, started["id"], {"ready", "failed"})
        assert done["state"] == "ready", done

        prefix = f"confidant/adapters/{owner.user_id}/"
        (key,) = stored_keys(s3_endpoint, prefix)
        sealed = bucket_client(s3_endpoint).get_object(Bucket=BUCKET, Key=key)["Body"].read()
        assert b"lora" not in sealed  # PEFT's files say lora_A, lora_alpha: sealed
        assert not (settings.data_dir / "adapters").exists()
        assert await reply(app, http, owner) != before  # the API read it from the bucket

        assert (await http.delete("/api/users/me", headers=owner.headers)).status_code == 204
        await jobs_settled(app.state.runtime.db)
    assert stored_keys(s3_endpoint, prefix) == []


async def test_voice_clips_and_avatars_live_in_the_bucket_and_go_with_the_account(
    bucket_deployment: tuple[Settings, FastAPI], s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, app = bucket_deployment
    runtime = app.state.runtime
    async with client_for(app) as http:
        account, chat_id = await account_with_chat(http)
        uploaded = await http.put(
            "/api/users/me/avatar",
            content=image_bytes("PNG"),
            headers={**account.headers, "Content-Type": "image/png"},
        )
        assert uploaded.status_code == 204, uploaded.text
        assert stored_keys(s3_endpoint, f"confidant/avatars/{account.user_id}")
        public = await http.get(f"/api/users/{account.user_id}/avatar")
        assert public.status_code == 200
        assert public.content.startswith(b"\x89PNG")

        turn = await send_voice(http, account, chat_id, spoken("I had a calm day"), "a.wav")
        assert turn.status_code == 200, turn.text
        clips = stored_keys(s3_endpoint, f"confidant/voice/{account.user_id}/")
        assert len(clips) == 2  # what she said, and the spoken reply
        heard = await http.get(turn.json()["replyAudio"]["url"], headers=account.headers)
        assert heard.status_code == 200
        assert heard.content[:4] in (b"RIFF", b"OggS", b"\x1aE\xdf\xa3", b"ID3\x03")
        sealed = bucket_client(s3_endpoint).get_object(Bucket=BUCKET, Key=clips[0])["Body"].read()
        assert not sealed.startswith((b"RIFF", b"OggS"))  # sealed, not the audio itself
        async with runtime.db.transaction() as session:
            rows = (await session.scalars(select(VoiceClip))).all()
        assert {row.audio_ct for row in rows if row.user_id == account.user_id} == {None}

        assert (await http.delete("/api/users/me", headers=account.headers)).status_code == 204

    async def purge_round() -> None:  # what the server does every few minutes
        async with runtime.db.transaction() as session:
            await voice_service.purge_expired(runtime, session)
            await users_service.sweep_avatars(runtime, session)

    await purge_round()  # too young to be an orphan: its row might be about to commit
    assert len(stored_keys(s3_endpoint, f"confidant/voice/{account.user_id}/")) == 2
    monkeypatch.setattr(blobs, "SWEEP_GRACE_SECONDS", 0.0)
    await purge_round()
    assert stored_keys(s3_endpoint, f"confidant/voice/{account.user_id}/") == []
    assert stored_keys(s3_endpoint, f"confidant/avatars/{account.user_id}") == []
