from __future__ import annotations

from pathlib import Path

import pytest

from tests.voice.tiny_models import build_tiny_vits, build_tiny_whisper, convert_to_ctranslate2


@pytest.fixture(scope="session")
def tiny_whisper_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("tiny-whisper")
    build_tiny_whisper(directory)
    return directory


@pytest.fixture(scope="session")
def tiny_faster_whisper_dir(
    tmp_path_factory: pytest.TempPathFactory, tiny_whisper_dir: Path
) -> Path:
    directory = tmp_path_factory.mktemp("tiny-whisper-ct2")
    convert_to_ctranslate2(tiny_whisper_dir, directory)
    return directory


@pytest.fixture(scope="session")
def tiny_vits_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("tiny-vits")
    build_tiny_vits(directory)
    return directory
