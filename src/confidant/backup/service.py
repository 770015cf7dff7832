"""Consistent backups of a running service, and restores that keep deleted accounts gone.

A backup is two folders, meant to be stored apart:
- `data/`: the main database (SQLite's online backup API, or `pg_dump`) and the
  adapters, all of it ciphertext under the users' own data keys;
- `keys/`: the keystore (the wrapped data keys) and the server's secret files.
Someone holding only one of the two reads nothing. The keystore's list of shredded
owners is left out of the copy; a restore takes the live list instead (and any lists
kept off-site), so an account deleted after the backup was taken stays deleted.
The vectors are not copied: they are derived, and a restore rebuilds them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from confidant.config import Settings
from confidant.crypto.keystore import ShreddedOwner
from confidant.kit.db import is_sqlite, utcnow

if TYPE_CHECKING:
    from confidant.runtime import Runtime

FORMAT = 1
DATA, KEYS = "data", "keys"
MANIFEST = "manifest.json"
MAIN_DB, KEYSTORE_DB = "confidant", "keystore"
ADAPTERS = "adapters"
USER_OWNER_PREFIX = "user:"
T = TypeVar("T")


class BackupError(Exception):
    """A backup that cannot be written or restored, with what to do about it."""


@dataclass(frozen=True)
class BackupReport:
    data_dir: Path
    keys_dir: Path
    engine: str
    files: int


@dataclass(frozen=True)
class RestoreReport:
    engine: str
    shredded: list[str]  # owners whose keys stay destroyed, from the live list and files


def _secret_files(settings: Settings) -> list[Path]:
    return [
        settings.master_key_file,
        settings.ledger_signing_key_file,
        settings.data_dir / "jwt.secret",
    ]


# --- backup ------------------------------------------------------------------------------


async def backup(settings: Settings, target: Path, keys_target: Path | None = None) -> BackupReport:
    """Write a backup of the service that `settings` describe (it may be running).

    The main database is copied before the keystore: every account in the copy had its
    key created before it committed, so the later keystore copy holds it."""
    data_dir, keys_dir = target / DATA, keys_target or target / KEYS
    for folder in (data_dir, keys_dir):
        if folder.exists() and any(folder.iterdir()):
            raise BackupError(f"{folder} is not empty")
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    engine = "sqlite" if is_sqlite(settings.resolved_database_url) else "postgresql"
    main = _copy_database(settings.resolved_database_url, data_dir / MAIN_DB, exclude=())
    adapters = _copy_tree(settings.adapters_dir, data_dir / ADAPTERS)
    keystore = _copy_database(
        settings.resolved_keystore_url, keys_dir / KEYSTORE_DB, exclude=(ShreddedOwner,)
    )
    secrets = [_copy_secret(path, keys_dir) for path in _secret_files(settings) if path.exists()]
    revision = await _query(settings.resolved_database_url, _revision)
    _write_manifest(data_dir, DATA, engine, revision, [main, *adapters])
    _write_manifest(keys_dir, KEYS, engine, revision, [keystore, *secrets])
    return BackupReport(data_dir, keys_dir, engine, len(adapters) + len(secrets) + 2)


def _copy_database(url: str, stem: Path, exclude: tuple[type[Any], ...]) -> Path:
    if is_sqlite(url):
        out = stem.with_suffix(".db")
        with contextlib.closing(_sqlite_copy(Path(_sqlite_path(url)), out)) as copy:
            tables = {row[0] for row in copy.execute("SELECT name FROM sqlite_master")}
            for model in exclude:
                if model.__tablename__ in tables:  # absent before the keystore's k0002
                    copy.execute(f"DELETE FROM {model.__tablename__}")  # noqa: S608 (ours)
            copy.commit()
            copy.execute("VACUUM")  # the deleted rows' pages go too
        return out
    out = stem.with_suffix(".pgdump")
    command = ["pg_dump", "--format=custom", "--no-owner", f"--file={out}"]
    command += [f"--exclude-table-data={model.__tablename__}" for model in exclude]
    _run([*command, _libpq_url(url)])
    return out


def _sqlite_copy(source: Path, target: Path) -> sqlite3.Connection:
    """Copy a SQLite database with its online backup API (consistent while it is being
    written, WAL included); returns a connection to the copy."""
    copy = sqlite3.connect(target)
    try:
        with contextlib.closing(sqlite3.connect(source)) as reading:
            reading.backup(copy)
    except BaseException:
        copy.close()
        raise
    return copy


def _copy_tree(source: Path, target: Path) -> list[Path]:
    if not source.is_dir():
        return []
    shutil.copytree(source, target)
    return sorted(path for path in target.rglob("*") if path.is_file())


def _copy_secret(path: Path, keys_dir: Path) -> Path:
    out = keys_dir / path.name
    shutil.copy2(path, out)
    out.chmod(0o600)
    return out


def _write_manifest(
    folder: Path, kind: str, engine: str, revision: str | None, files: list[Path]
) -> None:
    manifest = {
        "format": FORMAT,
        "kind": kind,
        "note": (
            "The KEYS half of a Confidant backup: store it apart from the data half."
            if kind == KEYS
            else "The DATA half of a Confidant backup: store it apart from the keys half."
        ),
        "engine": engine,
        "schema_revision": revision,
        "created_at": utcnow().isoformat(),
        "files": {str(p.relative_to(folder)): _sha256(p) for p in files},
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")


# --- restore -----------------------------------------------------------------------------


async def restore(
    settings: Settings,
    source: Path,
    keys_source: Path | None = None,
    deleted_accounts: list[Path] | None = None,
    replace: bool = False,
) -> RestoreReport:
    """Put a backup in place of the databases and files that `settings` describe (the
    service stopped). Returns the owners to shred again: the live keystore's list and
    those in `deleted_accounts` files (one id or owner per line), read before
    anything is overwritten. `apply_shredded` finishes the job on a runtime."""
    data_dir, keys_dir = source / DATA, keys_source or source / KEYS
    data, keys = _read_manifest(data_dir, DATA), _read_manifest(keys_dir, KEYS)
    engine = "sqlite" if is_sqlite(settings.resolved_database_url) else "postgresql"
    if data["engine"] != engine or keys["engine"] != engine:
        raise BackupError(f"this backup is of {data['engine']}; the target is {engine}")
    live = await _live_shredded(settings.resolved_keystore_url)
    shredded = sorted(set(live) | set(_listed(deleted_accounts or [])))
    settings.ensure_data_dir()
    _restore_database(data_dir, MAIN_DB, settings.resolved_database_url, replace)
    _restore_database(keys_dir, KEYSTORE_DB, settings.resolved_keystore_url, replace)
    for name in keys["files"]:
        if name.startswith(KEYSTORE_DB + "."):
            continue
        target = settings.data_dir / name
        shutil.copy2(keys_dir / name, target)
        target.chmod(0o600)
    if (data_dir / ADAPTERS).is_dir():
        shutil.copytree(data_dir / ADAPTERS, settings.adapters_dir, dirs_exist_ok=True)
    return RestoreReport(engine, shredded)


def _read_manifest(folder: Path, kind: str) -> dict[str, Any]:
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{folder} holds no readable backup manifest") from exc
    if manifest.get("format") != FORMAT or manifest.get("kind") != kind:
        raise BackupError(f"{folder} is not the {kind} half of a backup in format {FORMAT}")
    for name, digest in manifest["files"].items():
        path = folder / name
        if not path.is_file() or _sha256(path) != digest:
            raise BackupError(f"{path} is missing or changed since the backup was written")
    return dict(manifest)


async def _live_shredded(url: str) -> list[str]:
    """The target keystore's own list, when it exists: it outlives any backup."""
    if is_sqlite(url) and not Path(_sqlite_path(url)).exists():
        return []

    def read(connection: Connection) -> list[str]:
        if not inspect(connection).has_table(ShreddedOwner.__tablename__):
            return []
        return list(connection.scalars(select(ShreddedOwner.owner)))

    return await _query(url, read)


def _listed(files: list[Path]) -> list[str]:
    owners = []
    for path in files:
        for line in path.read_text().splitlines():
            text = line.strip()
            if text and not text.startswith("#"):
                owners.append(text if ":" in text else USER_OWNER_PREFIX + text)
    return owners


def _restore_database(folder: Path, stem: str, url: str, replace: bool) -> None:
    if is_sqlite(url):
        target = Path(_sqlite_path(url))
        if target.exists() and not replace:
            raise BackupError(f"{target} exists: restore into a fresh DATA_DIR, or pass --replace")
        for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
            leftover.unlink(missing_ok=True)
        _sqlite_copy(folder / f"{stem}.db", target).close()
        target.chmod(0o600)
        return
    command = ["pg_restore", "--no-owner", "--single-transaction", "--exit-on-error"]
    if replace:
        command += ["--clean", "--if-exists"]
    _run([*command, f"--dbname={_libpq_url(url)}", str(folder / f"{stem}.pgdump")])


# --- after the files are back ----------------------------------------------------------


async def finish_restore(
    rt: Runtime, shredded: list[str], done: Callable[[int], None] | None = None
) -> tuple[int, int]:
    """After the files are back and migrated: shred again, then rebuild every user's
    vectors (`done(1)` after each user). Returns the accounts deleted again and the
    chunks embedded."""
    from confidant.auth.models import User
    from confidant.rag import service as rag_service

    revived = await apply_shredded(rt, shredded)
    async with rt.db.transaction() as session:
        user_ids = list(await session.scalars(select(User.id)))
    return revived, await rag_service.reindex_users(rt, user_ids, done)


async def apply_shredded(rt: Runtime, owners: list[str]) -> int:
    """Destroy the keys of the shredded owners again, and delete what is left of their
    accounts; returns how many accounts the backup still held."""
    from confidant.auth.models import User
    from confidant.users import service as users_service

    revived = 0
    for owner in owners:
        if owner.startswith(USER_OWNER_PREFIX):
            async with rt.db.transaction() as session:
                user = await session.get(User, owner.removeprefix(USER_OWNER_PREFIX))
                if user is not None:
                    await users_service.delete_account(rt, session, user)
                    revived += 1
        await rt.keystore.destroy(owner)
    return revived


# --- helpers -----------------------------------------------------------------------------


def _revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    value = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    return None if value is None else str(value)


async def _query(url: str, read: Callable[[Connection], T]) -> T:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(read)
    finally:
        await engine.dispose()


def _sqlite_path(url: str) -> str:
    return str(make_url(url).database)


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str]) -> None:
    try:
        subprocess.run(command, check=True, capture_output=True, text=True, env=os.environ.copy())  # noqa: S603
    except FileNotFoundError as exc:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL's client tools)") from exc
    except subprocess.CalledProcessError as exc:
        raise BackupError(f"{command[0]} failed: {exc.stderr.strip()[-500:]}") from exc


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
