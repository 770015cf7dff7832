"""Small helpers shared by the API tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

PASSWORD = "correct horse battery staple"


@dataclass
class Account:
    user_id: str
    email: str
    password: str
    access: str
    refresh: str
    body: dict[str, Any]

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.access)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


async def register(http: httpx.AsyncClient, **fields: Any) -> Account:
    payload = {"email": unique_email(), "password": PASSWORD, "name": "Test Person", **fields}
    response = await http.post("/api/auth/register", json=payload)
    assert response.status_code == 201, response.text
    body = response.json()
    return Account(
        body["userId"],
        payload["email"],
        payload["password"],
        body["accessToken"],
        body["refreshToken"],
        body,
    )


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is the one error shape with this status (and code)."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message", "details"}
    assert isinstance(error["message"], str)
    assert error["message"]
    if code is not None:
        assert error["code"] == code, error
    return dict(error)
