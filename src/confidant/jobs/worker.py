"""Starting workers: `confidant worker`, or one the server starts itself (the embedded
default, so `make run` has working jobs with nothing but SQLite)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

from confidant.config import Settings
from confidant.jobs.celery_app import QUEUE, RuntimeFactory, make_celery
from confidant.kit.imports import restore_default_recursion_limit

PARENT_ENV = "CONFIDANT_WORKER_PARENT_PID"


def run_worker(settings: Settings, concurrency: int, start_runtime: RuntimeFactory) -> None:
    """Run a Celery worker in this process until it is stopped; each of its processes
    starts one runtime with `start_runtime`, on its first job."""
    if parent := os.environ.get(PARENT_ENV):
        _stop_when_orphaned(int(parent))
    pool = "solo" if concurrency == 1 else "prefork"
    restore_default_recursion_limit()
    make_celery(settings, start_runtime).worker_main(
        ["worker", f"--pool={pool}", f"--concurrency={concurrency}", "-Q", QUEUE, "--loglevel=INFO"]
    )


def _stop_when_orphaned(parent_pid: int) -> None:
    """An embedded worker ends with its server, even one that was SIGKILLed (its jobs'
    messages stay on the broker, and the next worker takes them)."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="orphan-watch", daemon=True).start()


def start_embedded_worker() -> subprocess.Popen[bytes]:
    """`confidant worker` as a child process, configured by the same environment."""
    return subprocess.Popen(
        [sys.executable, "-m", "confidant", "worker"],
        stdin=subprocess.DEVNULL,
        env={**os.environ, PARENT_ENV: str(os.getpid())},
    )


def stop_embedded_worker(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
