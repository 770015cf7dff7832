"""Registration, password sign-in, refresh-token rotation, logout and sign-in sessions."""

from __future__ import annotations

import httpx
import jwt

from tests.helpers import PASSWORD, assert_error, bearer, register, unique_email


async def test_register_returns_tokens_and_a_generated_medical_card(
    client: httpx.AsyncClient,
) -> None:
    account = await register(client, phone="+1 (555) 010-2030")
    card = account.body["medicalCard"]
    assert card["bloodType"] == "unknown"
    assert card["bmi"] is None
    assert card["bmiCategory"] is None
    assert account.body["tokenType"] == "bearer"
    assert account.body["role"] == "user"
    claims = jwt.decode(account.access, options={"verify_signature": False})
    assert {"exp", "iat", "jti", "typ", "sub"} <= set(claims)
    assert claims["typ"] == "access"
    assert claims["sub"] == account.user_id
    assert jwt.get_unverified_header(account.access)["alg"] == "HS256"

    me = await client.get("/api/users/me", headers=account.headers)
    assert me.status_code == 200
    assert me.json()["profile"]["phone"] == "+15550102030"


async def test_duplicate_email_is_409_whatever_its_case(client: httpx.AsyncClient) -> None:
    account = await register(client)
    response = await client.post(
        "/api/auth/register",
        json={"email": account.email.upper(), "password": PASSWORD, "name": "Someone Else"},
    )
    assert_error(response, 409, "conflict")


async def test_duplicate_phone_is_409(client: httpx.AsyncClient) -> None:
    await register(client, phone="+44 20 7946 0101")
    response = await client.post(
        "/api/auth/register",
        json={"email": unique_email(), "password": PASSWORD, "name": "B", "phone": "+442079460101"},
    )
    assert_error(response, 409, "conflict")


async def test_login_works_and_wrong_credentials_look_the_same(client: httpx.AsyncClient) -> None:
    account = await register(client)
    ok = await client.post("/api/auth/login", json={"email": account.email, "password": PASSWORD})
    assert ok.status_code == 200
    assert (await client.get("/api/users/me", headers=bearer(ok.json()["accessToken"]))).is_success

    wrong_password = await client.post(
        "/api/auth/login", json={"email": account.email, "password": "not the password"}
    )
    no_such_user = await client.post(
        "/api/auth/login", json={"email": unique_email(), "password": "not the password"}
    )
    first = assert_error(wrong_password, 401, "unauthorized")
    second = assert_error(no_such_user, 401, "unauthorized")
    assert first == second


async def test_refresh_rotates_and_reuse_revokes_the_whole_family(
    client: httpx.AsyncClient,
) -> None:
    account = await register(client)
    rotated = await client.post("/api/auth/refresh", json={"refreshToken": account.refresh})
    assert rotated.status_code == 200
    second = rotated.json()
    assert second["refreshToken"] != account.refresh
    assert (await client.get("/api/users/me", headers=bearer(second["accessToken"]))).is_success

    reuse = await client.post("/api/auth/refresh", json={"refreshToken": account.refresh})
    assert assert_error(reuse, 401)["details"] == {"reason": "refresh_token_reuse"}

    # The thief's reuse also kills the legitimate descendant tokens of that sign-in.
    after = await client.post("/api/auth/refresh", json={"refreshToken": second["refreshToken"]})
    assert_error(after, 401)
    assert_error(await client.get("/api/users/me", headers=bearer(second["accessToken"])), 401)
    assert_error(await client.get("/api/users/me", headers=account.headers), 401)

    # Other sign-ins of the same account are untouched.
    other = await client.post(
        "/api/auth/login", json={"email": account.email, "password": PASSWORD}
    )
    assert (
        await client.get("/api/users/me", headers=bearer(other.json()["accessToken"]))
    ).is_success


async def test_access_token_is_not_a_refresh_token(client: httpx.AsyncClient) -> None:
    account = await register(client)
    assert_error(await client.post("/api/auth/refresh", json={"refreshToken": account.access}), 401)
    assert_error(await client.get("/api/users/me", headers=bearer(account.refresh)), 401)


async def test_tampered_and_foreign_tokens_are_refused(client: httpx.AsyncClient) -> None:
    account = await register(client)
    claims = jwt.decode(account.access, options={"verify_signature": False})
    forged = jwt.encode(claims, "some-other-secret-of-sufficient-length!!", algorithm="HS256")
    unsigned = jwt.encode(claims, None, algorithm="none")
    for token in (forged, unsigned, account.access[:-2] + "xx", "garbage"):
        assert_error(await client.get("/api/users/me", headers=bearer(token)), 401)
    assert_error(await client.get("/api/users/me"), 401)


async def test_logout_revokes_the_session(client: httpx.AsyncClient) -> None:
    account = await register(client)
    assert (await client.post("/api/auth/logout", headers=account.headers)).status_code == 204
    assert_error(await client.get("/api/users/me", headers=account.headers), 401)
    assert_error(
        await client.post("/api/auth/refresh", json={"refreshToken": account.refresh}), 401
    )


async def test_sessions_list_and_signing_one_device_out(client: httpx.AsyncClient) -> None:
    account = await register(client)
    phone = await client.post(
        "/api/auth/login", json={"email": account.email, "password": PASSWORD}
    )
    phone_headers = bearer(phone.json()["accessToken"])
    listed = await client.get("/api/auth/sessions", headers=account.headers)
    assert listed.status_code == 200
    sessions = listed.json()
    assert len(sessions) == 2
    assert [s["current"] for s in sessions].count(True) == 1
    other = next(s for s in sessions if not s["current"])

    revoked = await client.delete(f"/api/auth/sessions/{other['id']}", headers=account.headers)
    assert revoked.status_code == 204
    assert_error(await client.get("/api/users/me", headers=phone_headers), 401)
    assert (await client.get("/api/users/me", headers=account.headers)).is_success
