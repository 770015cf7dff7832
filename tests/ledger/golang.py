"""Building the Go reference checkers beside these tests, against Debian's golang.org/x/mod
(`golang-golang-x-mod-dev`), offline: GOPATH mode, no module download."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import required_in_ci

GOPATH = "/usr/share/gocode"  # where golang-golang-x-mod-dev puts golang.org/x/mod
X_MOD = Path(GOPATH) / "src/golang.org/x/mod/sumdb"


def build(program: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The program in `program` (a folder of Go files), built; a skip (a failure in CI)
    when Go or x/mod is not installed."""
    go = shutil.which("go")
    if go is None or not (X_MOD / "note").is_dir() or not (X_MOD / "tlog").is_dir():
        required_in_ci("go or golang-golang-x-mod-dev is not installed (make installs them)")
    binary = tmp_path_factory.mktemp(program.name) / program.name
    cache = tmp_path_factory.mktemp("gocache")
    env = {**os.environ, "GOPATH": GOPATH, "GO111MODULE": "off", "GOCACHE": str(cache)}
    subprocess.run(
        [go, "build", "-o", str(binary), "."], cwd=program, env=env, check=True, timeout=300
    )
    return binary
