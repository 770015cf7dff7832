"""Everything a service needs at run time, built once per process from the settings."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from confidant.auth.passwords import SecretHasher
from confidant.auth.tokens import TokenCodec
from confidant.calls.registry import CallRegistry
from confidant.config import Settings
from confidant.crypto.keyring import MasterKeyring
from confidant.crypto.keystore import BlindIndex, KeyStore
from confidant.jobs.celery_app import make_celery, sender
from confidant.jobs.dispatch import DISPATCH_INFO_KEY, Sender
from confidant.kit.cache import CACHE_INFO_KEY, UserReadCache
from confidant.kit.db import Database, ServerTimeouts
from confidant.kit.ratelimit import Limiter, make_limiter
from confidant.ledger.log import PSEUDONYM_SECRET, Ledger
from confidant.ledger.recorder import RECORDER_INFO_KEY
from confidant.ledger.sequencer import Sequencer
from confidant.llm.registry import ModelRegistry
from confidant.news.service import NewsService
from confidant.rag.engine import RagEngine
from confidant.safety.crisis import CrisisScreen
from confidant.safety.semantic import SemanticLayer
from confidant.voice.engines import VoiceEngines

# Every domain that has tables: importing its models puts them on `Base.metadata`, so
# every process knows every table and foreign key (the ledger recorder follows cascades).
MODEL_DOMAINS = (
    "auth", "chats", "diary", "finetune", "idempotency", "jobs", "ledger", "rag", "safety",
    "sensors", "tracking", "users", "voice", "wellbeing",
)  # fmt: skip
for _domain in MODEL_DOMAINS:
    importlib.import_module(f"confidant.{_domain}.models")

# Modules that register with another package when imported: job handlers and after-job
# hooks, rag's source loaders, tracked activities, account hooks. Imported here so that
# every process (the app, a worker, the CLI) has them all, whatever its own code imports.
SUBSCRIBERS = (
    "chats.sources", "diary.sources", "rag.tasks", "finetune.tasks", "users.service",
    "wellbeing.activity",
)  # fmt: skip
for _module in SUBSCRIBERS:
    importlib.import_module(f"confidant.{_module}")

BLIND_INDEX_KEY = "blind-index"


@dataclass
class Runtime:
    settings: Settings
    db: Database
    keystore: KeyStore
    blind_index: BlindIndex
    tokens: TokenCodec
    hasher: SecretHasher
    limiter: Limiter
    read_cache: UserReadCache[Any]
    models: ModelRegistry
    crisis: CrisisScreen
    rag: RagEngine
    ledger: Ledger
    sequencer: Sequencer
    send_job: Sender
    voice: VoiceEngines
    news: NewsService
    calls: CallRegistry

    @classmethod
    async def start(cls, settings: Settings, immediate_transactions: bool = False) -> Runtime:
        """`immediate_transactions`: see `make_engine` (the CLI sets it)."""
        settings.ensure_data_dir()
        keyring = MasterKeyring.from_config(
            settings.master_key, settings.retired_master_keys, settings.master_key_file
        )
        timeouts = ServerTimeouts(
            connect=settings.database_connect_timeout_seconds,
            pool=settings.database_pool_timeout_seconds,
            statement=settings.database_statement_timeout_seconds,
        )
        keystore = KeyStore(
            Database(
                settings.resolved_keystore_url, immediate=immediate_transactions, timeouts=timeouts
            ),
            keyring,
        )
        read_cache: UserReadCache[Any] = UserReadCache(settings.read_cache_seconds)
        send_job = sender(make_celery(settings))
        ledger = Ledger.build(settings, await keystore.system_secret(PSEUDONYM_SECRET))
        session_info = {
            CACHE_INFO_KEY: read_cache,
            RECORDER_INFO_KEY: ledger.recorder,
            DISPATCH_INFO_KEY: send_job,
        }
        db = Database(
            settings.resolved_database_url,
            session_info,
            immediate=immediate_transactions,
            timeouts=timeouts,
        )
        return cls(
            settings=settings,
            db=db,
            keystore=keystore,
            blind_index=BlindIndex(await keystore.system_secret(BLIND_INDEX_KEY)),
            tokens=TokenCodec(settings.resolved_jwt_secret()),
            hasher=SecretHasher(
                settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
            ),
            limiter=make_limiter(settings.redis_url, settings.redis_timeout_seconds),
            read_cache=read_cache,
            models=ModelRegistry(settings),  # loading starts with the web app, not the CLI
            crisis=CrisisScreen.from_files(
                settings.crisis_resources_file,
                SemanticLayer(engines=settings.crisis_encoder_engines)
                if settings.crisis_semantic
                else None,
            ),
            rag=RagEngine(settings),
            ledger=ledger,
            sequencer=ledger.sequencer(settings, db),
            send_job=send_job,
            voice=VoiceEngines(settings),
            news=NewsService(settings),
            calls=CallRegistry(settings.call_max_active),
        )

    async def close(self) -> None:
        await self.calls.close_all()
        await self.news.close()
        await self.rag.close()
        await self.models.aclose()
        await self.limiter.close()
        await self.db.dispose()
        await self.keystore.db.dispose()
