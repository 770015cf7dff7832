"""Schemathesis hooks for tests/test_openapi_contract.py, loaded by `schemathesis run`
through SCHEMATHESIS_HOOKS: who calls each operation (the credentials come in the
environment), and what a generated request must not do to the rest of the run."""

from __future__ import annotations

import os
from typing import Any

import requests
import schemathesis

URL = "CONFIDANT_CONTRACT_URL"
USER_TOKEN = "CONFIDANT_CONTRACT_USER_TOKEN"
ADMIN_TOKEN = "CONFIDANT_CONTRACT_ADMIN_TOKEN"
API_KEY = "CONFIDANT_CONTRACT_API_KEY"

# Operations that can end the caller's session, account or API key (schemathesis reuses
# ids it saw in earlier answers, such as the caller's own session's): each call gets a
# fresh guest, so the user's token and key last the whole run.
ENDS_THE_CALLER = {
    ("POST", "/api/auth/logout"),
    ("DELETE", "/api/users/me"),
    ("DELETE", "/api/auth/sessions/{session_id}"),
    ("DELETE", "/api/auth/api-keys/{key_id}"),
}
# Called by an administrator who has written nothing: a fine-tune for them is refused
# (409) before any training, and one for another user is a 404 for any id but a real one.
# The ledger's entry bundles answer a user 403 whatever is asked: an administrator's
# calls reach the bundles themselves.
ADMIN_ONLY = {("POST", "/api/models/fine-tune"), ("GET", "/ledger/tile/entries/{index}")}


def token_for(method: str, path: str, security: list[dict[str, Any]]) -> str | None:
    schemes = {name for requirement in security for name in requirement}
    if "ApiKey" in schemes:
        return os.environ[API_KEY]
    if "HTTPBearer" in schemes and (method, path) in ENDS_THE_CALLER:
        return guest_token()  # logout's token is optional (cookie mode needs none)
    if "HTTPBearer" not in schemes or {} in security:
        return None  # public, or the token is optional (register without one)
    if (method, path) in ADMIN_ONLY:
        return os.environ[ADMIN_TOKEN]
    return os.environ[USER_TOKEN]


def guest_token() -> str:
    response = requests.post(f"{os.environ[URL]}/api/auth/guest", timeout=30)
    response.raise_for_status()
    return str(response.json()["accessToken"])


def before_call(context: schemathesis.HookContext, case: schemathesis.Case, kwargs: Any) -> None:
    operation = case.operation
    method, path = operation.method.upper(), operation.path
    token = token_for(method, path, operation.definition.raw.get("security", []))
    if token is not None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
    if (method, path) == ("PATCH", "/api/users/me"):
        # Writing enough text queues a fine-tune by itself (on the session's shared
        # worker): the user turned that off, and generated bodies leave it off.
        body = case.body
        if isinstance(body, dict) and isinstance(body.get("preferences"), dict):
            body["preferences"].pop("autoFineTune", None)


# Registered only where `schemathesis run` loads this module as its hooks (importing it
# elsewhere, for the names above, changes nothing).
if os.environ.get("SCHEMATHESIS_HOOKS") == __name__:
    schemathesis.hook(before_call)
