"""PIN sign-in and its lockout, QR sign-in, guest sessions and their upgrade and purge."""

from __future__ import annotations

from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from confidant.auth import service as auth_service
from confidant.auth.models import User
from confidant.crypto.keystore import KeyMissing, user_key_owner
from confidant.kit.db import utcnow
from confidant.runtime import Runtime
from tests.conftest import client_for
from tests.helpers import PASSWORD, assert_error, bearer, decode_qr, register, unique_email


async def test_pin_login(client: httpx.AsyncClient) -> None:
    account = await register(client)
    assert (
        await client.put("/api/auth/pin", json={"pin": "4826"}, headers=account.headers)
    ).status_code == 204
    ok = await client.post("/api/auth/pin-login", json={"userId": account.user_id, "pin": "4826"})
    assert ok.status_code == 200
    assert (await client.get("/api/users/me", headers=bearer(ok.json()["accessToken"]))).is_success


async def test_pin_must_be_4_to_8_digits(client: httpx.AsyncClient) -> None:
    account = await register(client)
    for bad in ("123", "123456789", "12a4", "", 1234):
        response = await client.put("/api/auth/pin", json={"pin": bad}, headers=account.headers)
        assert_error(response, 422, "validation_error")


async def test_pin_locks_after_five_failures_from_any_ip(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    account = await register(client)
    await client.put("/api/auth/pin", json={"pin": "13579"}, headers=account.headers)
    for attempt in range(5):
        async with client_for(app, ip=f"10.0.0.{attempt + 1}") as other_ip:
            response = await other_ip.post(
                "/api/auth/pin-login", json={"userId": account.user_id, "pin": "00000"}
            )
        assert response.status_code == (401 if attempt < 4 else 429), response.text
    locked = await client.post(
        "/api/auth/pin-login", json={"userId": account.user_id, "pin": "13579"}
    )
    assert_error(locked, 429, "too_many_requests")
    assert 800 < int(locked.headers["Retry-After"]) <= 900
    # Password sign-in is not locked by PIN failures.
    login = await client.post(
        "/api/auth/login", json={"email": account.email, "password": PASSWORD}
    )
    assert login.status_code == 200


async def test_pin_login_for_unknown_user_or_no_pin_is_401(client: httpx.AsyncClient) -> None:
    account = await register(client)  # has no PIN yet
    no_pin = await client.post(
        "/api/auth/pin-login", json={"userId": account.user_id, "pin": "1234"}
    )
    unknown = await client.post("/api/auth/pin-login", json={"userId": "nobody", "pin": "1234"})
    assert assert_error(no_pin, 401) == assert_error(unknown, 401)


async def test_qr_login_signs_in_a_second_device_once(client: httpx.AsyncClient) -> None:
    account = await register(client)
    image = await client.get("/api/auth/qr", headers=account.headers)
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    qr_text = decode_qr(image.content)

    first = await client.post("/api/auth/qr-login", json={"qr": qr_text})
    assert first.status_code == 200
    assert first.json()["userId"] == account.user_id
    again = await client.post("/api/auth/qr-login", json={"qr": qr_text})
    assert_error(again, 401)

    svg = await client.get("/api/auth/qr?format=svg", headers=account.headers)
    assert svg.headers["content-type"] == "image/svg+xml"
    assert b"<svg" in svg.content
    assert_error(await client.get("/api/auth/qr?format=gif", headers=account.headers), 422)
    assert_error(await client.get("/api/auth/qr"), 401)


async def test_qr_login_refuses_expired_and_forged_codes(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    account = await register(client)
    expired = runtime.tokens.issue("qr-login", account.user_id, timedelta(seconds=-5)).token
    assert_error(await client.post("/api/auth/qr-login", json={"qr": expired}), 401)
    # Correctly signed but never issued (no record): refused.
    unissued = runtime.tokens.issue("qr-login", account.user_id, timedelta(minutes=5)).token
    assert_error(await client.post("/api/auth/qr-login", json={"qr": unissued}), 401)
    assert_error(await client.post("/api/auth/qr-login", json={"qr": account.access}), 401)


async def test_guest_session_can_be_upgraded_by_registering(client: httpx.AsyncClient) -> None:
    guest = await client.post("/api/auth/guest")
    assert guest.status_code == 201
    assert guest.json()["role"] == "guest"
    headers = bearer(guest.json()["accessToken"])
    me = await client.get("/api/users/me", headers=headers)
    assert me.json()["role"] == "guest"
    patched = await client.patch(
        "/api/users/me", json={"medicalCard": {"bloodType": "O-"}}, headers=headers
    )
    assert patched.status_code == 200
    assert_error(await client.put("/api/auth/pin", json={"pin": "1234"}, headers=headers), 403)

    upgraded = await client.post(
        "/api/auth/register",
        json={"email": unique_email(), "password": PASSWORD, "name": "Was A Guest"},
        headers=headers,
    )
    assert upgraded.status_code == 201
    body = upgraded.json()
    assert body["userId"] == guest.json()["userId"]
    assert body["role"] == "user"
    assert body["medicalCard"]["bloodType"] == "O-"  # the guest's data came along
    assert_error(await client.get("/api/users/me", headers=headers), 401)  # guest tokens ended


async def test_expired_guests_are_purged_with_their_keys(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    guest = await client.post("/api/auth/guest")
    user_id, headers = guest.json()["userId"], bearer(guest.json()["accessToken"])
    async with runtime.db.transaction() as session:
        await session.execute(
            update(User).where(User.id == user_id).values(guest_expires_at=utcnow() - timedelta(1))
        )
    assert_error(await client.get("/api/users/me", headers=headers), 401)
    async with runtime.db.transaction() as session:
        assert await auth_service.purge_expired(runtime, session) >= 1
    async with runtime.db.transaction() as session:
        assert await session.get(User, user_id) is None
    try:
        await runtime.keystore.get(user_key_owner(user_id))
    except KeyMissing:
        pass
    else:
        raise AssertionError("guest's data key survived the purge")
