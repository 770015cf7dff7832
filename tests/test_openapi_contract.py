"""The OpenAPI document is the service's contract: schemathesis generates requests for
every operation in it (valid and invalid ones) against a real server, and each answer must
be no 5xx, a status the operation declares, and a body, content type and headers that
match what it declares for that status."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import schemathesis
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig

from confidant.config import Settings
from tests import contract_hooks
from tests.conftest import LiveServer
from tests.helpers import PASSWORD, bearer, run_cli, settings_env, unique_email

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
    response_headers_conformance,
]
# Per operation in the fuzzing phase (the coverage phase adds its own cases), and the same
# cases every run; set these in the environment to explore further.
MAX_EXAMPLES = int(os.environ.get("CONFIDANT_CONTRACT_MAX_EXAMPLES", "5"))
SEED = int(os.environ.get("CONFIDANT_CONTRACT_SEED", "20240501"))
# Stateful: chains of calls through the links schemathesis infers (create, then read it).
PHASES = os.environ.get("CONFIDANT_CONTRACT_PHASES", "examples,coverage,fuzzing,stateful")

# Not fuzzed, with the reason; each is still called below with known bodies and its
# answers checked against the document in the same way.
NOT_FUZZED = {
    # Loads whatever model name it is given and makes it the service's default once
    # loaded: a generated name would change what every later operation answers with (an
    # `openai` one "loads" at once and sends every reply to a server that is not there).
    ("POST", "/api/models/use"),
}
# Not in the document, so not fuzzed here: the WebSocket /ws/chats/{chat_id} (its own
# tests cover its framing). Streaming answers (SSE, with Accept: text/event-stream) and
# voice messages (a generated "recording" is refused in milliseconds) are fuzzed.


@dataclass
class Callers:
    """A user, an administrator who has written nothing, and the user's API key."""

    user: str
    admin: str
    api_key: str


def sign_up(url: str, email: str) -> str:
    body = {"email": email, "password": PASSWORD, "name": "Contract Test"}
    response = httpx.post(f"{url}/api/auth/register", json=body, timeout=30)
    assert response.status_code == 201, response.text
    return str(response.json()["accessToken"])


@pytest.fixture(scope="module")
def callers(live_server: LiveServer, settings: Settings) -> Callers:
    url = live_server.url
    user = sign_up(url, unique_email("contract"))
    # Writing enough would queue a fine-tune by itself, on the session's shared worker.
    no_training = {"preferences": {"autoFineTune": False}}
    patched = httpx.patch(f"{url}/api/users/me", json=no_training, headers=bearer(user))
    assert patched.status_code == 200, patched.text
    admin_email = unique_email("contract-admin")
    sign_up(url, admin_email)
    promoted = run_cli(settings_env(settings), "create-admin", "--email", admin_email)
    assert promoted.returncode == 0, promoted.stderr
    login = httpx.post(
        f"{url}/api/auth/login", json={"email": admin_email, "password": PASSWORD}, timeout=30
    )
    assert login.json()["role"] == "admin", login.text
    key = httpx.post(
        f"{url}/api/auth/api-keys", json={"name": "contract"}, headers=bearer(user), timeout=30
    )
    assert key.status_code == 201, key.text
    return Callers(user, str(login.json()["accessToken"]), str(key.json()["key"]))


def test_every_operation_answers_as_documented(
    live_server: LiveServer, callers: Callers, tmp_path: Path
) -> None:
    """`schemathesis run` over the whole document (examples, coverage and fuzzing phases,
    valid and invalid requests); the hooks module signs each call in."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SCHEMATHESIS_HOOKS": contract_hooks.__name__,
        contract_hooks.URL: live_server.url,
        contract_hooks.USER_TOKEN: callers.user,
        contract_hooks.ADMIN_TOKEN: callers.admin,
        contract_hooks.API_KEY: callers.api_key,
    }
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "--config-file",
        str(tmp_path / "schemathesis.toml"),
        "run",
        f"{live_server.url}/openapi.json",
        "--checks",
        ",".join(check.__name__ for check in CHECKS),
        "--phases",
        PHASES,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--generation-database",
        "none",
        "--generation-with-security-parameters",
        "false",
        "--workers",
        "1",
        "--request-timeout",
        "60",
        "--suppress-health-check",
        "all",
        "--no-color",
        "--report",
        "junit",
        "--report-dir",
        str(tmp_path),
    ]
    for _, path in NOT_FUZZED:  # the only method on each of these paths
        command += ["--exclude-path", path]
    config = tmp_path / "schemathesis.toml"
    # The hooks sign every call in: no signing up of schemathesis's own.
    config.write_text("[auth]\nauto-signup = false\n")
    started = time.monotonic()
    run = subprocess.run(
        command,
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    elapsed = time.monotonic() - started
    report = run.stdout[-20000:] + run.stderr[-5000:]
    assert run.returncode == 0, f"schemathesis failed after {elapsed:.0f}s:\n{report}"
    assert "Authentication failed" not in run.stdout, report  # the callers stayed signed in
    (tmp_path / "schemathesis.txt").write_text(run.stdout)


def load_schema(url: str) -> schemathesis.BaseSchema:
    config = SchemathesisConfig.from_dict({"generation": {"database": "none"}})
    return schemathesis.openapi.from_url(f"{url}/openapi.json", config=config)


def call_use_model(
    live_server: LiveServer, body: dict[str, object], headers: dict[str, str]
) -> int:
    use = load_schema(live_server.url)["/api/models/use"]["POST"]
    case = use.Case(body=body, media_type="application/json")
    response = case.call_and_validate(headers=headers, checks=CHECKS, timeout=60)
    return int(response.status_code)


def test_switching_the_model_answers_as_documented(
    live_server: LiveServer, callers: Callers
) -> None:
    """POST /api/models/use is left out of fuzzing (see NOT_FUZZED): known bodies."""
    model = live_server.runtime.models.default_name
    admin = bearer(callers.admin)
    assert call_use_model(live_server, {"model": model}, admin) == 202  # the one it runs
    assert call_use_model(live_server, {"model": model}, {}) == 401
    assert call_use_model(live_server, {"model": ""}, admin) == 422
    assert call_use_model(live_server, {"model": model, "provider": 1}, admin) == 422
    deadline = time.monotonic() + 60
    while live_server.runtime.models._loading and time.monotonic() < deadline:
        time.sleep(0.05)
    assert live_server.runtime.models.default_name == model


def test_switching_the_model_as_a_user_is_a_documented_403(
    live_server: LiveServer, callers: Callers
) -> None:
    model = live_server.runtime.models.default_name
    assert call_use_model(live_server, {"model": model}, bearer(callers.user)) == 403


PUBLIC = [
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("post", "/api/auth/login"),
    ("post", "/api/auth/guest"),
    ("post", "/api/auth/refresh"),
    ("post", "/api/auth/pin-login"),
    ("post", "/api/auth/qr-login"),
    ("get", "/api/ledger/checkpoint"),
    ("get", "/api/ledger/proof/inclusion"),
    ("get", "/api/ledger/proof/consistency"),
    ("get", "/ledger/checkpoint"),
    ("get", "/ledger/tile/{level}/{index}"),
    ("get", "/api/cards/{token}"),
    ("get", "/api/users/{user_id}/avatar"),
    ("get", "/api/assessments"),
    ("get", "/api/assessments/{assessment_id}"),
    ("get", "/api/news"),
    ("get", "/api/export/schema"),
]


def test_the_document_declares_the_error_shape_and_security_as_served(
    live_server: LiveServer,
) -> None:
    document = httpx.get(f"{live_server.url}/openapi.json", timeout=30).json()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert schemas["ErrorResponse"]["properties"]["error"] == {
        "$ref": "#/components/schemas/ErrorDetail"
    }
    assert set(schemas["ErrorDetail"]["required"]) == {"code", "message", "details"}
    assert set(document["components"]["securitySchemes"]) == {"HTTPBearer", "ApiKey"}
    paths = document["paths"]
    # Optional bearer: a guest upgrades through register; a cookie-mode logout needs none.
    optional_bearer = {"/api/auth/register", "/api/auth/logout"}
    for path in optional_bearer:
        assert paths[path]["post"]["security"] == [{}, {"HTTPBearer": []}], path
    assert paths["/v1/chat/completions"]["post"]["security"] == [{"ApiKey": []}]
    assert paths["/v1/models"]["get"]["security"] == [{"ApiKey": []}]
    for method, path in PUBLIC:
        assert "security" not in paths[path][method], (method, path)
    for path, item in paths.items():
        for method, operation in item.items():
            where = (method, path)
            responses = operation["responses"]
            for status, response in responses.items():
                if int(status) >= 400:
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorResponse"}, where
            if (method, path) not in PUBLIC and path not in optional_bearer:
                assert operation["security"] in ([{"HTTPBearer": []}], [{"ApiKey": []}]), where
            if operation.get("security"):
                assert "401" in responses, where
            if "requestBody" in operation:
                assert {"400", "413", "422"} <= set(responses), where
            if any(parameter["in"] == "path" for parameter in operation.get("parameters", [])):
                assert "404" in responses, where
    assert {"429"} <= set(paths["/api/auth/login"]["post"]["responses"])
    assert {"502", "503", "504"} <= set(paths["/api/messages"]["post"]["responses"])


def test_a_bad_token_on_register_is_refused_not_ignored(live_server: LiveServer) -> None:
    body = {"email": unique_email(), "password": PASSWORD, "name": "X"}
    headers = bearer(f"not-a-token-{uuid.uuid4().hex}")
    response = httpx.post(f"{live_server.url}/api/auth/register", json=body, headers=headers)
    assert response.status_code == 401, response.text
