"""Envelope encryption: nothing sensitive in plaintext, ciphertext bound to its row,
crypto-shredding on account deletion, master-key rotation under a running service."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy import select

from confidant.auth.models import User
from confidant.config import Settings
from confidant.crypto import rotation
from confidant.crypto.envelope import DataKey, DecryptionFailed, generate_key
from confidant.crypto.keyring import KeyringError, MasterKey, MasterKeyring, read_key_file
from confidant.crypto.keystore import KeyMissing, WrappedKey, user_key_owner
from confidant.runtime import Runtime
from tests.conftest import PG_HOST
from tests.helpers import register

SECRETS = {
    "name": "Zebulon Quixotically",
    "phone": "+15557771234",
    "allergy": "xylophonium-sulfate",
    "condition": "quasimodo-syndrome",
    "contact": "Ottoline Vandersnoot",
    "chat_title": "Wuthering Quandaries",
    "message": "my hippopotamus insomnia returned",
    "query": "is zanzibarite tea calming",
}


async def register_with_secrets(client: httpx.AsyncClient) -> str:
    account = await register(client, name=SECRETS["name"], phone=SECRETS["phone"])
    response = await client.patch(
        "/api/users/me/medical-card",
        json={
            "allergies": [SECRETS["allergy"]],
            "conditions": [SECRETS["condition"]],
            "emergencyContacts": [{"name": SECRETS["contact"], "phone": "+15550000"}],
        },
        headers=account.headers,
    )
    assert response.status_code == 200
    chat = await client.post(
        "/api/chats", json={"title": SECRETS["chat_title"]}, headers=account.headers
    )
    sent = await client.post(
        "/api/messages",
        json={"chatId": chat.json()["id"], "content": SECRETS["message"]},
        headers=account.headers,
    )
    assert sent.status_code == 200
    asked = await client.post(
        "/api/v1/query", json={"query": SECRETS["query"]}, headers=account.headers
    )
    assert asked.status_code == 200
    return account.email


def sqlite_bytes(url: str, scratch: Path) -> bytes:
    """The bytes of a live SQLite database file and its WAL.

    The files are copied by another process: opening and closing the live file in this
    process would drop the POSIX locks the service's own connections hold on it (POSIX
    locks belong to the process), and SQLite's WAL would then come apart."""
    path = Path(url.split("///", 1)[1])
    scratch.mkdir(parents=True, exist_ok=True)
    wal = path.with_name(path.name + "-wal")
    files = [str(f) for f in (path, wal) if f.exists()]
    subprocess.run(["cp", *files, str(scratch)], check=True)
    return b"".join((scratch / Path(f).name).read_bytes() for f in files)


async def postgres_rows_text(url: str) -> str:
    database = url.rsplit("/", 1)[1]
    connection = await asyncpg.connect(host=PG_HOST, user="postgres", database=database)
    try:
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        )
        parts = []
        for table in tables:
            rows = await connection.fetch(f'SELECT t::text AS row FROM "{table["tablename"]}" t')
            parts += [row["row"] for row in rows]
        return "\n".join(parts)
    finally:
        await connection.close()


async def test_no_plaintext_of_sensitive_fields_is_stored(
    client: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    email = await register_with_secrets(client)
    if settings.resolved_database_url.startswith("sqlite"):
        stored = sqlite_bytes(settings.resolved_database_url, tmp_path / "db")
        stored += sqlite_bytes(settings.resolved_keystore_url, tmp_path / "keys")
        haystack = stored.decode("latin-1")
    else:
        haystack = await postgres_rows_text(settings.resolved_database_url)
        haystack += await postgres_rows_text(settings.resolved_keystore_url)
    assert len(haystack) > 1000, "the dump should hold the users we just wrote"
    for value in [*SECRETS.values(), email, email.split("@")[0]]:
        assert value not in haystack, f"{value!r} is stored in plaintext"


def test_ciphertext_moved_to_another_row_or_column_does_not_decrypt() -> None:
    key = DataKey(generate_key())
    blob = key.encrypt(b"Ada", table="users", column="name", row_id="row-1")
    assert key.decrypt(blob, table="users", column="name", row_id="row-1") == b"Ada"
    for table, column, row in [
        ("users", "name", "row-2"),
        ("users", "phone", "row-1"),
        ("medical_cards", "name", "row-1"),
    ]:
        with pytest.raises(DecryptionFailed):
            key.decrypt(blob, table=table, column=column, row_id=row)
    with pytest.raises(DecryptionFailed):
        DataKey(generate_key()).decrypt(blob, table="users", column="name", row_id="row-1")
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(DecryptionFailed):
        key.decrypt(tampered, table="users", column="name", row_id="row-1")


async def test_swapping_ciphertexts_between_users_fails(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    first = await register(client, name="First Person")
    second = await register(client, name="Second Person")
    async with runtime.db.transaction() as session:
        a = await session.get(User, first.user_id)
        b = await session.get(User, second.user_id)
        assert a is not None
        assert b is not None
        assert a.name_ct is not None
        stolen = a.name_ct
    key_b = await runtime.keystore.get(user_key_owner(second.user_id))
    with pytest.raises(DecryptionFailed):
        key_b.decrypt(stolen, table="users", column="name", row_id=second.user_id)


async def test_deleting_an_account_shreds_its_key_so_backups_are_unreadable(
    client: httpx.AsyncClient, runtime: Runtime, settings: Settings, tmp_path: Path
) -> None:
    account = await register(client, name="Backed Up Person")
    async with runtime.db.transaction() as session:
        row = await session.get(User, account.user_id)
        assert row is not None
        assert row.name_ct is not None
        backup_ciphertext = row.name_ct  # what a database backup would hold
    if settings.resolved_database_url.startswith("sqlite"):
        backup_file = tmp_path / "backup.db"
        live = sqlite3.connect(settings.resolved_database_url.split("///", 1)[1])
        with contextlib.closing(live), contextlib.closing(sqlite3.connect(backup_file)) as backup:
            live.backup(backup)  # SQLite's online backup, as an operator would take one
            names = backup.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
        assert ("wrapped_keys",) not in names, "data backups must not carry the keys"

    key = await runtime.keystore.get(user_key_owner(account.user_id))
    assert key.decrypt_text(backup_ciphertext, table="users", column="name", row_id=account.user_id)

    assert (await client.delete("/api/users/me", headers=account.headers)).status_code == 204
    with pytest.raises(KeyMissing):
        await runtime.keystore.get(user_key_owner(account.user_id))
    async with runtime.keystore.db.transaction() as session:
        assert await session.get(WrappedKey, user_key_owner(account.user_id)) is None
    async with runtime.db.transaction() as session:
        assert await session.get(User, account.user_id) is None


async def test_key_rotation_rewraps_every_key_while_the_service_keeps_working(
    client: httpx.AsyncClient, runtime: Runtime, settings: Settings
) -> None:
    account = await register(client, name="Rotating Person")
    old_ids = {key.key_id for key in read_key_file(settings.master_key_file)}

    report = await rotation.rotate(settings)

    assert report.new_key_id not in old_ids
    assert report.rewrapped >= 1
    assert [k.key_id for k in read_key_file(settings.master_key_file)] == [report.new_key_id]
    async with runtime.keystore.db.transaction() as session:
        kek_ids = set(await session.scalars(select(WrappedKey.kek_id)))
    assert kek_ids == {report.new_key_id}

    runtime.keystore.forget_cached_keys()  # force an unwrap under the new key
    me = await client.get("/api/users/me", headers=account.headers)
    assert me.status_code == 200
    assert me.json()["profile"]["name"] == "Rotating Person"
    newcomer = await register(client, name="After Rotation")
    async with runtime.keystore.db.transaction() as session:
        row = await session.get(WrappedKey, user_key_owner(newcomer.user_id))
        assert row is not None
        assert row.kek_id == report.new_key_id


def test_keyring_with_retired_keys_unwraps_old_and_wraps_new() -> None:
    old, new = MasterKey.generate(), MasterKey.generate()
    kek_id, wrapped = MasterKeyring([old]).wrap(b"k" * 32, "user:1")
    ring = MasterKeyring.from_config(new.encoded, old.encoded, Path("/nonexistent"))
    assert ring.unwrap(kek_id, wrapped, "user:1") == b"k" * 32
    assert ring.wrap(b"k" * 32, "user:1")[0] == new.key_id
    with pytest.raises(KeyringError):
        ring.unwrap(kek_id, wrapped, "user:2")  # a wrapped key is bound to its owner
    with pytest.raises(KeyringError):
        MasterKeyring.from_config(new.encoded, "", Path("/x")).unwrap(kek_id, wrapped, "user:1")
    with pytest.raises(KeyringError):
        MasterKey.parse("too-short")


def test_development_master_key_file_is_private(runtime: Runtime, settings: Settings) -> None:
    mode = settings.master_key_file.stat().st_mode & 0o777
    assert mode == 0o600
