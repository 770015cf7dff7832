"""Starting workers: `confidant worker`, or one the server starts itself (the embedded
default, so `make run` has working jobs with nothing but SQLite)."""

from __future__ import annotations

import subprocess
import sys

from confidant.config import Settings
from confidant.jobs.celery_app import QUEUE, make_celery


def run_worker(settings: Settings, concurrency: int) -> None:
    """Run a Celery worker in this process until it is stopped."""
    pool = "solo" if concurrency == 1 else "prefork"
    make_celery(settings).worker_main(
        ["worker", f"--pool={pool}", f"--concurrency={concurrency}", "-Q", QUEUE, "--loglevel=INFO"]
    )


def start_embedded_worker() -> subprocess.Popen[bytes]:
    """`confidant worker` as a child process, configured by the same environment."""
    return subprocess.Popen([sys.executable, "-m", "confidant", "worker"], stdin=subprocess.DEVNULL)


def stop_embedded_worker(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
