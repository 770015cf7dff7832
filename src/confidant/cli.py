"""The `confidant` command."""

from __future__ import annotations

import asyncio
import base64
import secrets
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
import uvicorn

from confidant.app.serving import shared_metrics_directory, uvicorn_options
from confidant.config import Settings, get_settings
from confidant.runtime import Runtime

app = typer.Typer(help="Confidant: a private AI wellbeing companion you host yourself.")
keys_app = typer.Typer(help="Master-key management.")
app.add_typer(keys_app, name="keys")
rag_app = typer.Typer(help="Retrieval index.")
app.add_typer(rag_app, name="rag")
ledger_app = typer.Typer(help="The tamper-evident log of API calls and database writes.")
app.add_typer(ledger_app, name="ledger")

T = TypeVar("T")


def _settings() -> Settings:
    try:
        return get_settings()
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(2) from exc


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
) -> None:
    """Serve the API (OpenAPI docs at /docs)."""
    _settings()
    with shared_metrics_directory(workers):
        uvicorn.run(
            "confidant.main:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            **uvicorn_options(),
        )


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(help="Jobs run at once (processes)")] = 1,
) -> None:
    """Run a background-job worker (Celery) on REDIS_URL, or on DATA_DIR without it."""
    from confidant.jobs.worker import run_worker

    run_worker(_settings(), concurrency, Runtime.start)


@app.command()
def migrate(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply database migrations (main database and keystore)."""
    from confidant.kit import migrate as migrations

    migrations.upgrade(_settings(), revision)
    typer.echo("migrations applied")


@keys_app.command("shredded")
def keys_shredded() -> None:
    """Print the owners whose keys were destroyed (deleted accounts), one per line: keep
    a copy apart from the backups, for `confidant restore --deleted-accounts`."""

    async def run(rt: Runtime) -> list[str]:
        return await rt.keystore.shredded()

    for owner in _with_runtime(run, immediate=False):
        typer.echo(owner)


@app.command("init-env")
def init_env() -> None:
    """Print an env file with fresh random secrets (`confidant init-env > .env`)."""
    from confidant.crypto.keyring import MasterKey

    signing_seed = base64.b64encode(secrets.token_bytes(32)).decode()
    lines = {
        "CONFIDANT_ENV": "production",
        "CONFIDANT_MASTER_KEY": MasterKey.generate().encoded,
        "CONFIDANT_JWT_SECRET": secrets.token_urlsafe(48),
        "CONFIDANT_LEDGER_SIGNING_KEY": signing_seed,
        "POSTGRES_PASSWORD": secrets.token_urlsafe(32),
        "GRAFANA_ADMIN_PASSWORD": secrets.token_urlsafe(24),
    }
    typer.echo("# Written by `confidant init-env`: keep this file secret, and back it up")
    typer.echo("# apart from the data (it holds the master key).")
    for name, value in lines.items():
        typer.echo(f"{name}={value}")


@app.command()
def backup(
    target: Annotated[Path, typer.Argument(help="An empty or new folder")],
    keys_dir: Annotated[
        Path | None, typer.Option(help="Where the keys half goes; default TARGET/keys")
    ] = None,
) -> None:
    """Back up the service (it may keep running): TARGET/data and the keys, apart."""
    from confidant.backup import service

    try:
        report = asyncio.run(service.backup(_settings(), target, keys_dir))
    except service.BackupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"backed up {report.engine}: data in {report.data_dir}, keys in {report.keys_dir}")
    typer.echo("store the keys half apart from the data half")


@app.command()
def restore(
    source: Annotated[Path, typer.Argument(help="A folder `confidant backup` wrote")],
    keys_dir: Annotated[
        Path | None, typer.Option(help="The keys half; default SOURCE/keys")
    ] = None,
    deleted_accounts: Annotated[
        list[Path] | None,
        typer.Option(help="A list from `confidant keys shredded` (repeatable)"),
    ] = None,
    replace: Annotated[
        bool, typer.Option(help="Overwrite the databases that are there (service stopped)")
    ] = False,
) -> None:
    """Restore a backup (the service stopped), keep every deleted account deleted, and
    rebuild the vectors."""
    from confidant.backup import service
    from confidant.kit import migrate as migrations

    settings = _settings()
    try:
        report = asyncio.run(service.restore(settings, source, keys_dir, deleted_accounts, replace))
    except service.BackupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    migrations.upgrade(settings, "head")

    rebuilt = 0

    def one_more(count: int) -> None:
        nonlocal rebuilt
        rebuilt += count
        typer.echo(f"\rrebuilding vectors: {rebuilt} users", err=True, nl=False)

    async def finish(rt: Runtime) -> tuple[int, int]:
        return await service.finish_restore(rt, report.shredded, one_more)

    revived, chunks = _with_runtime(finish)
    typer.echo(
        f"restored {report.engine}; {len(report.shredded)} shredded owners kept shredded "
        f"({revived} accounts the backup still held were deleted again); "
        f"{chunks} chunks re-embedded"
    )


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Re-wrap every data key under a new master key, without touching the data."""
    from confidant.crypto.rotation import rotate

    report = asyncio.run(rotate(_settings()))
    typer.echo(f"re-wrapped {report.rewrapped} data keys under master key {report.new_key_id}")
    if not report.new_key_file:
        typer.echo("the retired master keys can now be removed from CONFIDANT_RETIRED_MASTER_KEYS")


@app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(prompt=True)],
    name: Annotated[str, typer.Option()] = "Administrator",
    password: Annotated[
        str | None, typer.Option(envvar="CONFIDANT_ADMIN_PASSWORD", help="Needed for a new account")
    ] = None,
) -> None:
    """Make an account an administrator, creating it when it does not exist."""
    from confidant.auth import service
    from confidant.kit.errors import DomainError

    if password is None and sys.stdin.isatty():
        password = (
            typer.prompt(
                "Password (leave empty to promote an existing account)", default="", hide_input=True
            )
            or None
        )

    async def run(rt: Runtime) -> str:
        async with rt.db.transaction() as session:
            user = await service.create_admin(rt, session, email, name, password)
        return user.id

    try:
        user_id = _with_runtime(run)
    except (DomainError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"admin {user_id}")


@app.command("purge-guests")
def purge_guests() -> None:
    """Delete expired guest accounts now (the server also does this periodically)."""
    from confidant.auth import service

    async def run(rt: Runtime) -> int:
        async with rt.db.transaction() as session:
            count = await service.purge_expired(rt, session)
        return count

    typer.echo(f"purged {_with_runtime(run)} expired guest accounts")


@rag_app.command("reindex")
def rag_reindex(
    user: Annotated[str | None, typer.Option(help="One user's id; everyone when omitted")] = None,
) -> None:
    """Index the diary and chat messages again, for one user or for everyone."""
    from sqlalchemy import select

    from confidant.auth.models import User
    from confidant.rag import service as rag_service

    async def run(rt: Runtime) -> int:
        async with rt.db.transaction() as session:
            ids = [user] if user else list(await session.scalars(select(User.id)))
        with typer.progressbar(length=len(ids), label="re-indexing users") as progress:
            return await rag_service.reindex_users(rt, ids, progress.update)

    typer.echo(f"indexed {_with_runtime(run)} chunks")


@ledger_app.command("verify")
def ledger_verify(
    rows: Annotated[
        bool, typer.Option("--rows", help="Also compare every row with its latest leaf")
    ] = False,
    verifier_key: Annotated[
        str | None,
        typer.Option(help="C2SP verifier key of the checkpoints; default: this server's"),
    ] = None,
) -> None:
    """Recompute the log from its leaves and check checkpoints, proofs and anchors."""
    from confidant.ledger import store
    from confidant.ledger.anchor import ChainAnchor, check_anchor
    from confidant.ledger.verify import AnchorCheck, verify_log

    async def run(rt: Runtime) -> None:
        anchor = ChainAnchor.from_settings(rt.settings)
        anchor_check: AnchorCheck | None = None
        if anchor is not None:
            web3 = anchor.web3

            def anchor_check(chain: int, tx: str, size: int, root: bytes) -> str | None:
                return check_anchor(web3, chain, tx, size, root)

        size = (await rt.db.read(store.read_state)).size
        with typer.progressbar(length=size, label="verifying leaves", file=sys.stderr) as bar:
            report = await verify_log(
                rt.db,
                verifier_key or rt.ledger.signer.verifier_key,
                pseudonyms=rt.ledger.pseudonyms if rows else None,
                anchor_check=anchor_check,
                progress=bar.update,
            )
        if not report.ok:
            if report.first_bad_leaf is not None:
                typer.echo(f"FAILED at leaf index {report.first_bad_leaf}")
            else:
                typer.echo("FAILED")
            for problem in report.problems[:50]:
                typer.echo(f"  {problem}")
            if len(report.problems) > 50:
                typer.echo(f"  ... and {len(report.problems) - 50} more")
            raise typer.Exit(1)
        typer.echo(
            f"OK tree_size={report.tree_size} root={report.root.hex()} "
            f"checkpoints={report.checkpoints} anchors={report.anchors}"
            + (f" rows={report.rows_checked}" if rows else "")
            + (f" pending={report.pending}" if report.pending else "")
        )

    # Plain (deferred) transactions: a long read must not hold the write lock.
    _with_runtime(run, immediate=False)


@ledger_app.command("sequence")
def ledger_sequence() -> None:
    """Sequence every waiting leaf now and sign a checkpoint (the server does this itself)."""

    async def run(rt: Runtime) -> int:
        return await rt.sequencer.drain()

    typer.echo(f"sequenced {_with_runtime(run)} leaves")


def _with_runtime(job: Callable[[Runtime], Awaitable[T]], immediate: bool = True) -> T:
    async def run() -> T:
        rt = await Runtime.start(_settings(), immediate_transactions=immediate)
        try:
            return await job(rt)
        finally:
            await rt.close()

    return asyncio.run(run())


def main() -> None:
    app()
