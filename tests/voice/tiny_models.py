"""Tiny random-weight speech models (Whisper, its CTranslate2 conversion, VITS) built
locally for tests: vocabularies are written here, nothing is downloaded."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import torch

# --------------------------------------------------------------------------- #
# Whisper
# --------------------------------------------------------------------------- #

WHISPER_LANGS = ["en", "de", "es", "fr"]  # small subset; "<|en|>" is what matters
N_TIMESTAMPS = 1501  # <|0.00|> .. <|30.00|>, like the real checkpoints
WHISPER_MERGES = [
    ("Ġ", "t"),
    ("h", "e"),
    ("Ġt", "he"),
    ("i", "n"),
    ("e", "r"),
    ("Ġ", "a"),
    ("o", "n"),
    ("r", "e"),
]


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte-to-printable mapping ("Ġ" is the space byte, as in Whisper)."""
    bs = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs), strict=True))


def _whisper_vocab() -> tuple[dict[str, int], list[str]]:
    tokens = list(_bytes_to_unicode().values())  # ids 0..255
    tokens += [a + b for a, b in WHISPER_MERGES]
    specials = (
        ["<|endoftext|>", "<|startoftranscript|>"]
        + [f"<|{lang}|>" for lang in WHISPER_LANGS]
        + [
            "<|translate|>",
            "<|transcribe|>",
            "<|startoflm|>",
            "<|startofprev|>",
            "<|nocaptions|>",
            "<|notimestamps|>",
        ]
    )
    tokens += specials
    # timestamps follow <|notimestamps|> directly: CTranslate2 counts from it
    tokens += ["<|%.2f|>" % (i * 0.02) for i in range(N_TIMESTAMPS)]
    return {tok: i for i, tok in enumerate(tokens)}, specials


def build_tiny_whisper(directory: Path) -> None:
    from transformers import (
        GenerationConfig,
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
        WhisperProcessor,
        WhisperTokenizer,
    )

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    vocab, specials = _whisper_vocab()

    # 1. tokenizer from locally written vocab.json / merges.txt
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
        (tmp / "merges.txt").write_text(
            "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in WHISPER_MERGES), encoding="utf-8"
        )
        tokenizer = WhisperTokenizer.from_pretrained(
            tmp,
            extra_special_tokens=specials[1:],  # <|endoftext|> is bos/eos/unk already
            model_max_length=448,
        )
    assert len(tokenizer) == len(vocab), (len(tokenizer), len(vocab))

    ids = {t: vocab[t] for t in specials}
    eot, sot, notimestamps = (
        ids["<|endoftext|>"],
        ids["<|startoftranscript|>"],
        ids["<|notimestamps|>"],
    )

    feature_extractor = WhisperFeatureExtractor(
        feature_size=80, sampling_rate=16000, hop_length=160, chunk_length=30, n_fft=400
    )
    processor = WhisperProcessor(feature_extractor=feature_extractor, tokenizer=tokenizer)

    # 2. tiny random model
    config = WhisperConfig(
        vocab_size=len(vocab),
        num_mel_bins=80,
        d_model=32,
        encoder_layers=1,
        encoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_layers=1,
        decoder_attention_heads=2,
        decoder_ffn_dim=64,
        max_source_positions=1500,  # 3000 mel frames (30 s) / 2; both HF and CT2 require this
        max_target_positions=448,
        pad_token_id=eot,
        bos_token_id=eot,
        eos_token_id=eot,
        decoder_start_token_id=sot,
        suppress_tokens=[],
        begin_suppress_tokens=[vocab["Ġ"], eot],
    )
    torch.manual_seed(0)
    model = WhisperForConditionalGeneration(config).eval()
    # A random model emits only special and timestamp tokens (an empty transcript). Only
    # letters, space and merges get random embedding rows (tied to the output), so it
    # writes text.
    printable = [vocab[c] for c in map(chr, range(ord("a"), ord("z") + 1))] + [vocab["Ġ"]]
    printable += [vocab[a + b] for a, b in WHISPER_MERGES]
    with torch.no_grad():
        emb = model.get_input_embeddings().weight
        emb.zero_()
        emb[printable] = torch.randn(len(printable), emb.shape[1])
    assert model.get_output_embeddings().weight.data_ptr() == emb.data_ptr()  # tied

    # 3. generation config (what generate() / the CT2 converter read)
    model.generation_config = GenerationConfig(
        decoder_start_token_id=sot,
        bos_token_id=eot,
        eos_token_id=eot,
        pad_token_id=eot,
        # every special token but <|endoftext|> suppressed: the random model writes text
        suppress_tokens=[ids[t] for t in specials[1:]],
        begin_suppress_tokens=[vocab["Ġ"], eot],
        no_timestamps_token_id=notimestamps,
        prev_sot_token_id=ids["<|startofprev|>"],
        is_multilingual=True,
        lang_to_id={f"<|{lang}|>": vocab[f"<|{lang}|>"] for lang in WHISPER_LANGS},
        task_to_id={"transcribe": ids["<|transcribe|>"], "translate": ids["<|translate|>"]},
        alignment_heads=[[0, 0], [0, 1]],
        return_timestamps=False,
        language="en",  # no language detection: always <sot><en><transcribe><notimestamps>
        task="transcribe",
    )

    model.save_pretrained(directory)
    processor.save_pretrained(
        directory
    )  # v5 writes processor_config.json (feature extractor nested inside)
    feature_extractor.save_pretrained(
        directory
    )  # preprocessor_config.json: needed by CT2 copy_files / faster-whisper


# --------------------------------------------------------------------------- #
# CTranslate2 / faster-whisper
# --------------------------------------------------------------------------- #

CT2_COPY_FILES = ["tokenizer.json", "preprocessor_config.json"]


def convert_to_ctranslate2(whisper_dir: Path, out_dir: Path) -> None:
    from ctranslate2.converters import TransformersConverter

    converter = TransformersConverter(str(whisper_dir), copy_files=CT2_COPY_FILES)
    converter.convert(str(out_dir), quantization="float32", force=True)


# --------------------------------------------------------------------------- #
# VITS
# --------------------------------------------------------------------------- #

VITS_CHARS = [
    "<pad>",
    "<unk>",
    " ",
    "'",
    *"abcdefghijklmnopqrstuvwxyz",
]  # <pad> must be id 0 (add_blank)


def build_tiny_vits(directory: Path) -> None:
    from transformers import VitsConfig, VitsModel, VitsTokenizer

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    vocab = {c: i for i, c in enumerate(VITS_CHARS)}
    vocab_file = directory / "vocab.json"
    vocab_file.write_text(json.dumps(vocab), encoding="utf-8")
    # phonemize=False: otherwise the tokenizer needs the phonemizer package
    tokenizer = VitsTokenizer(
        str(vocab_file), add_blank=True, normalize=True, phonemize=False, language="eng"
    )

    config = VitsConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        ffn_dim=32,
        flow_size=16,
        spectrogram_bins=33,
        upsample_initial_channel=32,
        upsample_rates=[8, 8, 2, 2],  # hop 256 samples per frame
        upsample_kernel_sizes=[16, 16, 4, 4],
        resblock_kernel_sizes=[3],
        resblock_dilation_sizes=[[1, 3]],
        duration_predictor_filter_channels=16,
        duration_predictor_num_flows=1,
        prior_encoder_num_flows=1,
        prior_encoder_num_wavenet_layers=1,
        posterior_encoder_num_wavenet_layers=1,
        depth_separable_num_layers=1,
        sampling_rate=16000,
        pad_token_id=vocab["<pad>"],
    )
    torch.manual_seed(0)
    model = VitsModel(config).eval()
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
