"""Cookie mode (`X-Refresh-Cookie: 1`): the refresh token as an HttpOnly cookie on every
endpoint that issues tokens, refresh and logout through it, rotation and reuse detection
through it, and the refusals; without the header nothing changes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from confidant.config import Settings
from tests.conftest import client_for, make_settings, started_app, upgrade_schema
from tests.helpers import PASSWORD, assert_error, bearer, decode_qr, register, unique_email

COOKIE = "confidant_refresh"
COOKIE_MODE = {"X-Refresh-Cookie": "1"}


@dataclass
class SetCookie:
    """One Set-Cookie header, read by hand (attribute names lowercased)."""

    name: str
    value: str
    attributes: dict[str, str]

    @property
    def max_age(self) -> int:
        return int(self.attributes["max-age"])


def set_cookies(response: httpx.Response) -> list[SetCookie]:
    found = []
    for header in response.headers.get_list("set-cookie"):
        pair, *rest = (part.strip() for part in header.split(";"))
        name, _, value = pair.partition("=")
        attributes = {}
        for attribute in rest:
            key, _, val = attribute.partition("=")
            attributes[key.lower()] = val
        found.append(SetCookie(name, value.strip('"'), attributes))
    return found


def refresh_cookie(response: httpx.Response) -> SetCookie:
    """The one refresh cookie the answer sets, with the attributes of the contract."""
    cookies = [cookie for cookie in set_cookies(response) if cookie.name == COOKIE]
    assert len(cookies) == 1, response.headers.get_list("set-cookie")
    cookie = cookies[0]
    assert "httponly" in cookie.attributes
    assert cookie.attributes["samesite"].lower() == "strict"
    assert cookie.attributes["path"] == "/api/auth"
    return cookie


def issued_cookie(response: httpx.Response, ttl: int) -> str:
    """A cookie-mode answer: tokens in the body but for the refresh token, which is a
    cookie living as long as the token."""
    assert response.is_success, response.text
    body = response.json()
    assert body["refreshToken"] is None
    assert body["accessToken"]
    cookie = refresh_cookie(response)
    assert ttl - 60 <= cookie.max_age <= ttl
    assert "secure" not in cookie.attributes  # PUBLIC_BASE_URL is http here
    assert cookie.value.count(".") == 2  # a JWT
    return cookie.value


def assert_cleared(response: httpx.Response) -> None:
    cookie = refresh_cookie(response)
    assert cookie.max_age == 0
    assert cookie.value == ""


async def with_cookie(
    http: httpx.AsyncClient, path: str, token: str | None, **kwargs: Any
) -> httpx.Response:
    """A cookie-mode call presenting exactly this cookie (or none), whatever the jar holds."""
    http.cookies.clear()
    headers = {**COOKIE_MODE, **kwargs.pop("headers", {})}
    if token is not None:
        headers["Cookie"] = f"{COOKIE}={token}"
    return await http.post(path, headers=headers, **kwargs)


async def test_login_in_cookie_mode_sets_the_cookie_and_no_token_in_the_body(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    account = await register(client)
    login = {"email": account.email, "password": PASSWORD}
    answer = await client.post("/api/auth/login", json=login, headers=COOKIE_MODE)
    token = issued_cookie(answer, settings.refresh_token_ttl_seconds)
    assert (
        await client.get("/api/users/me", headers=bearer(answer.json()["accessToken"]))
    ).is_success
    # The cookie is the refresh token: the JSON way accepts it too (one sign-in, two
    # ways of carrying its token).
    assert token != account.refresh


async def test_without_the_header_nothing_changes(client: httpx.AsyncClient) -> None:
    account = await register(client)
    assert isinstance(account.refresh, str)
    login = {"email": account.email, "password": PASSWORD}
    answer = await client.post("/api/auth/login", json=login)
    assert answer.status_code == 200
    assert isinstance(answer.json()["refreshToken"], str)
    assert not answer.headers.get_list("set-cookie")


async def test_every_endpoint_that_issues_tokens_gives_the_cookie(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    ttl = settings.refresh_token_ttl_seconds
    # register
    payload = {"email": unique_email(), "password": PASSWORD, "name": "Cookie Person"}
    registered = await client.post("/api/auth/register", json=payload, headers=COOKIE_MODE)
    assert registered.status_code == 201
    issued_cookie(registered, ttl)
    assert registered.json()["medicalCard"] is not None
    access = bearer(registered.json()["accessToken"])
    user_id = registered.json()["userId"]
    # pin-login
    pin = await client.put("/api/auth/pin", json={"pin": "2468"}, headers=access)
    assert pin.status_code == 204
    pin_login = {"userId": user_id, "pin": "2468"}
    issued_cookie(
        await client.post("/api/auth/pin-login", json=pin_login, headers=COOKIE_MODE), ttl
    )
    # qr-login
    qr = decode_qr((await client.get("/api/auth/qr", headers=access)).content)
    issued_cookie(
        await client.post("/api/auth/qr-login", json={"qr": qr}, headers=COOKIE_MODE), ttl
    )
    # guest start: the cookie lives as long as the guest
    guest = await client.post("/api/auth/guest", headers=COOKIE_MODE)
    assert guest.status_code == 201
    guest_cookie = issued_cookie(guest, settings.guest_session_ttl_seconds)
    # guest upgrade: the guest's tokens end, the account's come as a cookie
    upgrade = {"email": unique_email(), "password": PASSWORD, "name": "Was A Guest"}
    upgraded = await client.post(
        "/api/auth/register",
        json=upgrade,
        headers={**COOKIE_MODE, **bearer(guest.json()["accessToken"])},
    )
    assert upgraded.status_code == 201
    assert upgraded.json()["userId"] == guest.json()["userId"]
    account_cookie = issued_cookie(upgraded, ttl)
    assert_error(await with_cookie(client, "/api/auth/refresh", guest_cookie), 401)
    # refresh
    issued_cookie(await with_cookie(client, "/api/auth/refresh", account_cookie), ttl)


async def test_refresh_through_the_cookie_rotates_it(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    guest = await client.post("/api/auth/guest", headers=COOKIE_MODE)
    ttl = settings.guest_session_ttl_seconds
    first = issued_cookie(guest, ttl)
    # The client's jar sends the cookie by itself (its Path covers /api/auth): no body...
    rotated = await client.post("/api/auth/refresh", headers=COOKIE_MODE)
    second = issued_cookie(rotated, ttl)
    assert second != first
    assert (
        await client.get("/api/users/me", headers=bearer(rotated.json()["accessToken"]))
    ).is_success
    # ... or an empty JSON body; the jar now holds the rotated cookie.
    again = await client.post("/api/auth/refresh", json={}, headers=COOKIE_MODE)
    third = issued_cookie(again, ttl)
    assert third not in (first, second)


async def test_reusing_a_rotated_cookie_revokes_the_whole_sign_in(
    client: httpx.AsyncClient,
) -> None:
    account = await register(client)
    login = {"email": account.email, "password": PASSWORD}
    signed_in = await client.post("/api/auth/login", json=login, headers=COOKIE_MODE)
    stolen = refresh_cookie(signed_in).value
    rotated = await with_cookie(client, "/api/auth/refresh", stolen)
    current = refresh_cookie(rotated).value
    access = bearer(rotated.json()["accessToken"])

    reuse = await with_cookie(client, "/api/auth/refresh", stolen)
    assert assert_error(reuse, 401, "unauthorized")["details"] == {"reason": "refresh_token_reuse"}
    assert_cleared(reuse)
    # The legitimate, newer cookie of that sign-in is dead too, and its access token.
    assert_error(await with_cookie(client, "/api/auth/refresh", current), 401)
    assert_error(await client.get("/api/users/me", headers=access), 401)
    # The account's other sign-in (register's JSON tokens) is untouched.
    assert (await client.get("/api/users/me", headers=account.headers)).is_success


async def test_the_json_way_and_the_cookie_way_share_rotation(client: httpx.AsyncClient) -> None:
    """A JSON refresh token presented as the cookie rotates the same family; the rotated
    JSON token is then a reuse."""
    account = await register(client)
    moved = await with_cookie(client, "/api/auth/refresh", account.refresh)
    assert moved.status_code == 200
    reuse = await client.post("/api/auth/refresh", json={"refreshToken": account.refresh})
    assert assert_error(reuse, 401)["details"] == {"reason": "refresh_token_reuse"}


async def test_missing_or_bad_cookies_are_401_and_cleared(client: httpx.AsyncClient) -> None:
    account = await register(client)
    for path in ("/api/auth/refresh", "/api/auth/logout"):
        for token in (None, "", "garbage", account.access, account.refresh[:-3] + "abc"):
            answer = await with_cookie(client, path, token)
            assert_error(answer, 401, "unauthorized")
            assert_cleared(answer)
    # The real refresh token was never spent by those refusals.
    assert (await with_cookie(client, "/api/auth/refresh", account.refresh)).status_code == 200


async def test_cookie_mode_refuses_a_body_token_and_bad_header_values(
    client: httpx.AsyncClient,
) -> None:
    account = await register(client)
    both = await with_cookie(
        client, "/api/auth/refresh", account.refresh, json={"refreshToken": account.refresh}
    )
    error = assert_error(both, 422, "validation_error")
    assert error["details"][0]["field"] == "body.refreshToken"
    for value in ("0", "true", "yes", ""):
        answer = await client.post("/api/auth/guest", headers={"X-Refresh-Cookie": value})
        assert_error(answer, 422, "validation_error")
    # Nothing above spent the token.
    assert (await with_cookie(client, "/api/auth/refresh", account.refresh)).status_code == 200


async def test_without_the_header_the_cookie_is_never_read(client: httpx.AsyncClient) -> None:
    """The header is the CSRF guard: a request without it (a cross-site form, say) gets
    nothing from the cookie, even when the browser sends it."""
    account = await register(client)
    client.cookies.clear()
    cookie = {"Cookie": f"{COOKIE}={account.refresh}"}
    no_body = await client.post("/api/auth/refresh", headers=cookie)
    error = assert_error(no_body, 422, "validation_error")
    assert error["details"] == [
        {"field": "body.refreshToken", "message": "Field required", "type": "missing"}
    ]
    assert_error(await client.post("/api/auth/refresh", json={}, headers=cookie), 422)
    assert_error(await client.post("/api/auth/logout", headers=cookie), 401)
    # Still unspent, still signed in.
    assert (await client.get("/api/users/me", headers=account.headers)).is_success
    refreshed = await client.post("/api/auth/refresh", json={"refreshToken": account.refresh})
    assert refreshed.status_code == 200
    assert not refreshed.headers.get_list("set-cookie")


async def test_logout_through_the_cookie_needs_no_access_token(client: httpx.AsyncClient) -> None:
    account = await register(client)
    login = {"email": account.email, "password": PASSWORD}
    signed_in = await client.post("/api/auth/login", json=login, headers=COOKIE_MODE)
    token = refresh_cookie(signed_in).value
    access = bearer(signed_in.json()["accessToken"])

    out = await with_cookie(client, "/api/auth/logout", token)
    assert out.status_code == 204
    assert out.content == b""
    assert_cleared(out)
    assert_error(await client.get("/api/users/me", headers=access), 401)
    assert_error(await with_cookie(client, "/api/auth/refresh", token), 401)
    again = await with_cookie(client, "/api/auth/logout", token)
    assert_error(again, 401)
    # Only that sign-in ended.
    assert (await client.get("/api/users/me", headers=account.headers)).is_success


async def test_logout_without_the_header_still_takes_the_bearer_token(
    client: httpx.AsyncClient,
) -> None:
    account = await register(client)
    assert_error(await client.post("/api/auth/logout"), 401, "unauthorized")
    assert_error(await client.post("/api/auth/logout", headers=bearer("garbage")), 401)
    assert (await client.post("/api/auth/logout", headers=account.headers)).status_code == 204
    assert_error(await client.get("/api/users/me", headers=account.headers), 401)


# --- served over https: the cookie is Secure ---------------------------------------------


@pytest.fixture(scope="module")
async def https_app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FastAPI]:
    settings = make_settings(
        tmp_path_factory.mktemp("https"), public_base_url="https://confidant.example"
    )
    await upgrade_schema(settings)
    async for started in started_app(settings):
        yield started


async def test_the_cookie_is_secure_when_the_public_url_is_https(
    https_app: FastAPI, tmp_path: Path
) -> None:
    async with client_for(https_app) as http:
        guest = await http.post("/api/auth/guest", headers=COOKIE_MODE)
        assert guest.status_code == 201
        cookie = refresh_cookie(guest)
        assert "secure" in cookie.attributes
        out = await with_cookie(http, "/api/auth/logout", cookie.value)
        assert out.status_code == 204
        assert "secure" in refresh_cookie(out).attributes
