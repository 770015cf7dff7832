"""Private PostgreSQL and Redis servers the fault tests stop and start, and a small
filesystem for DATA_DIR that the tests fill.

The machine's own servers on the standard ports serve every other test; these run on
free ports, each from a folder of its own that goes when the session ends. A test that
stops one starts it again; each test makes databases of its own on the cluster."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from confidant.config import Settings
from tests.conftest import make_settings, required_in_ci, upgrade_schema
from tests.helpers import free_port, serve, wait_ready

PG_BIN = Path(os.environ.get("CONFIDANT_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
START_LIMIT_SECONDS = 30


def _as_postgres() -> list[str]:
    """PostgreSQL refuses to run as root: as root, its tools run as the postgres user."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


class PrivatePostgres:
    """A throwaway cluster on a free loopback port (trust authentication, no fsync: it is
    only ever stopped cleanly here)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "cluster"
        self.port = free_port()
        self.log = root / "postgres.log"
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")

    def _run(self, tool: str, *args: str) -> None:
        command = [*_as_postgres(), str(PG_BIN / tool), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, f"{tool} failed: {done.stdout}{done.stderr}"

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "start", "-w", "-D", str(self.data), "-l", str(self.log), "-o", options)

    def stop(self) -> None:
        """`-m fast`: open sessions are ended and in-flight transactions rolled back."""
        self._run("pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.data))

    def create_databases(self, *names: str) -> None:
        for name in names:
            self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)


class PrivateRedis:
    """redis-server on a free loopback port, keeping nothing on disk: a restart starts
    it empty, as a flushed or replaced Redis would be."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", str(self.root),
        ]  # fmt: skip
        with (self.root / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + START_LIMIT_SECONDS
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def private_settings(
    root: Path, postgres: PrivatePostgres, redis: PrivateRedis, name: str, **overrides: Any
) -> Settings:
    """Settings for a server on the private PostgreSQL (databases `name` and
    `name`_keys, made here) and the private Redis, with its DATA_DIR under `root`."""
    postgres.create_databases(name, f"{name}_keys")
    return make_settings(
        root / "data",
        database_url=postgres.url(name),
        keystore_url=postgres.url(f"{name}_keys"),
        redis_url=redis.url,
        **overrides,
    )


def _private_root() -> Path:
    """A folder the postgres user may enter (pytest's own are root's alone)."""
    root = Path(tempfile.mkdtemp(prefix="confidant-faults-"))
    root.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    return root


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[PrivatePostgres]:
    if not (PG_BIN / "initdb").exists():
        required_in_ci(f"PostgreSQL server tools (initdb, pg_ctl) in {PG_BIN}")
    root = _private_root()
    try:
        server = PrivatePostgres(root)
        server.start()
        try:
            yield server
        finally:
            if (server.data / "postmaster.pid").exists():
                server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def private_redis() -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        required_in_ci("redis-server on PATH")
    root = Path(tempfile.mkdtemp(prefix="confidant-faults-redis-"))
    server = PrivateRedis(root)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def small_data_dir(tmp_path: Path) -> Iterator[Path]:
    """DATA_DIR on a 32 MiB tmpfs of its own, unmounted afterwards whatever happened."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        required_in_ci("root, to mount a small filesystem for DATA_DIR")
    mountpoint = tmp_path / "small"
    mountpoint.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=32m,mode=0700", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        required_in_ci(f"mounting a tmpfs for DATA_DIR: {mounted.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def fill(folder: Path) -> Path:
    """Write zeros into `folder` until its filesystem has no byte left; the file made."""
    filler = folder / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (1 << 20, 4096, 1):
            chunk = b"\0" * size
            try:
                while os.write(descriptor, chunk):
                    pass
            except OSError:
                continue
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    return filler


class Served:
    """`confidant serve` in a process of its own, on a free port."""

    def __init__(self, settings: Settings, log: Path) -> None:
        self.settings = settings
        self.log = log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = serve(settings, self.port, log)

    def stop(self) -> None:
        """SIGTERM: a clean stop, which sequences the ledger leaves still in memory."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)

    async def wait_model_loaded(self, limit: float = 120) -> None:
        """Until /readyz says ready: the database answers and the chat model is loaded."""
        deadline = time.monotonic() + limit
        async with httpx.AsyncClient(base_url=self.url) as http:
            while (await http.get("/readyz")).status_code != 200:
                assert time.monotonic() < deadline, "the chat model did not load"
                await asyncio.sleep(0.2)

    def log_tail(self) -> str:
        return self.log.read_text()[-4000:]


async def serving(settings: Settings, log: Path) -> AsyncIterator[Served]:
    """A migrated database for `settings`, served until the test ends."""
    await upgrade_schema(settings)
    served = Served(settings, log)
    try:
        await wait_ready(served.url, served.process)
        yield served
    finally:
        served.stop()
