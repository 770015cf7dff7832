"""Alembic is the only way the schema is made: this runs it for both databases."""

from __future__ import annotations

import asyncio

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from confidant.config import PROJECT_ROOT, Settings
from confidant.kit.db import make_engine

MAIN = "alembic"
KEYSTORE = "keystore"
SCRIPT_LOCATIONS = {MAIN: "migrations", KEYSTORE: "migrations_keystore"}


def alembic_config(section: str, url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"), ini_section=section)
    config.set_main_option("script_location", str(PROJECT_ROOT / SCRIPT_LOCATIONS[section]))
    config.attributes["database_url"] = url
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Bring the main database and the keystore to `revision`."""
    settings.ensure_data_dir()
    command.upgrade(alembic_config(MAIN, settings.resolved_database_url), revision)
    command.upgrade(alembic_config(KEYSTORE, settings.resolved_keystore_url), revision)


def downgrade(settings: Settings, revision: str) -> None:
    command.downgrade(alembic_config(MAIN, settings.resolved_database_url), revision)
    command.downgrade(alembic_config(KEYSTORE, settings.resolved_keystore_url), revision)


def run_online(config: Config, metadata: MetaData) -> None:
    """Body of both env.py files: migrate the URL handed over by `alembic_config`."""
    from alembic import context

    url = config.attributes.get("database_url") or _url_from_settings(config.config_ini_section)

    def do_run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = make_engine(url)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    asyncio.run(run())


def _url_from_settings(section: str) -> str:
    """For a plain `alembic upgrade head` run from the shell."""
    from confidant.config import get_settings

    settings = get_settings()
    return settings.resolved_keystore_url if section == KEYSTORE else settings.resolved_database_url
