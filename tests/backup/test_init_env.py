"""`confidant init-env` writes secrets production accepts, fresh every time."""

from __future__ import annotations

import base64
import os

from confidant.config import Settings
from confidant.crypto.keyring import MasterKey
from tests.helpers import run_cli


def generated() -> dict[str, str]:
    result = run_cli(dict(os.environ), "init-env")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def test_init_env_secrets_are_strong_fresh_and_accepted_in_production() -> None:
    first, second = generated(), generated()
    assert set(first) == {
        "CONFIDANT_ENV",
        "CONFIDANT_MASTER_KEY",
        "CONFIDANT_JWT_SECRET",
        "CONFIDANT_LEDGER_SIGNING_KEY",
        "POSTGRES_PASSWORD",
        "GRAFANA_ADMIN_PASSWORD",
    }
    for name in first:
        if name != "CONFIDANT_ENV":
            assert first[name] != second[name], name
            assert len(first[name]) >= 32, name
    MasterKey.parse(first["CONFIDANT_MASTER_KEY"])
    assert len(base64.b64decode(first["CONFIDANT_LEDGER_SIGNING_KEY"], validate=True)) == 32
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        env=first["CONFIDANT_ENV"],
        master_key=first["CONFIDANT_MASTER_KEY"],
        jwt_secret=first["CONFIDANT_JWT_SECRET"],
    )
    assert settings.env == "production"
