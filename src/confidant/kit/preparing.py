"""Folders prepared once under DATA_DIR (the bundled models, converted or joined).

Built into a sibling `.partial` folder and renamed into place, so a half-built folder is
never taken for a ready one; under a file lock, so servers and workers starting together
build it once while the others wait."""

from __future__ import annotations

import fcntl
import shutil
from collections.abc import Callable
from pathlib import Path


def prepared_once(target: Path, ready_file: str, build: Callable[[Path], None]) -> Path:
    """`target`, made by `build(folder)` unless it already holds `ready_file`."""
    if (target / ready_file).exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with (target.parent / f"{target.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / ready_file).exists():
            partial = target.with_name(target.name + ".partial")
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir()
            build(partial)
            shutil.rmtree(target, ignore_errors=True)
            partial.rename(target)
    return target
