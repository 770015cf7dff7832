"""Isolation matrix: every endpoint that takes the id of a user's data, called by user B
with user A's ids, answers 404 (never 403, never A's data) and changes nothing.

Later issues add their endpoints to MATRIX.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest

from tests.helpers import Account, assert_error, register


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # formatted with the ids that `make_ids` returns for user A
    make_ids: Callable[[httpx.AsyncClient, Account], Awaitable[dict[str, str]]]
    still_owned: Callable[[httpx.AsyncClient, Account, dict[str, str]], Awaitable[bool]]
    body: dict[str, object] | None = None


async def a_session(http: httpx.AsyncClient, owner: Account) -> dict[str, str]:
    sessions = (await http.get("/api/auth/sessions", headers=owner.headers)).json()
    return {"session_id": sessions[0]["id"]}


async def session_alive(http: httpx.AsyncClient, owner: Account, ids: dict[str, str]) -> bool:
    sessions = (await http.get("/api/auth/sessions", headers=owner.headers)).json()
    return any(s["id"] == ids["session_id"] for s in sessions)


MATRIX = [
    Case("GET", "/api/auth/sessions/{session_id}", a_session, session_alive),
    Case("DELETE", "/api/auth/sessions/{session_id}", a_session, session_alive),
]


@pytest.mark.parametrize("case", MATRIX, ids=lambda case: f"{case.method} {case.path}")
async def test_user_b_cannot_reach_user_a_data(client: httpx.AsyncClient, case: Case) -> None:
    owner = await register(client)
    intruder = await register(client)
    ids = await case.make_ids(client, owner)
    response = await client.request(
        case.method, case.path.format(**ids), json=case.body, headers=intruder.headers
    )
    assert_error(response, 404, "not_found")
    assert await case.still_owned(client, owner, ids)
    own = await client.request(case.method, case.path.format(**ids), headers=owner.headers)
    assert own.status_code < 400, "the owner can reach it, so the 404 above was isolation"
