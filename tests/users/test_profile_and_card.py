"""Profile, preferences, medical card with server-side BMI, emergency QR, avatar."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image

from tests.helpers import assert_error, decode_qr, register, unique_email


async def test_profile_preferences_and_stats(client: httpx.AsyncClient) -> None:
    account = await register(client, name="Grace Hopper")
    me = (await client.get("/api/users/me", headers=account.headers)).json()
    assert me["profile"] == {
        "name": "Grace Hopper",
        "email": account.email,
        "phone": None,
        "avatarUrl": None,
    }
    assert me["preferences"] == {
        "theme": "system",
        "notifications": True,
        "language": "en",
        "timeZone": "UTC",
        "rememberChats": True,
        "autoFineTune": True,
        "callPauseSeconds": 0.8,
        "callNeverInterrupt": False,
    }
    assert me["stats"] == {"streakDays": 0, "level": 1, "xp": 0}

    patched = await client.patch(
        "/api/users/me",
        json={
            "name": "Rear Admiral Hopper",
            "phone": "+1 202 555 0199",
            "avatarUrl": "https://example.com/grace.png",
            "preferences": {"theme": "dark"},
        },
        headers=account.headers,
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["profile"]["name"] == "Rear Admiral Hopper"
    assert body["profile"]["phone"] == "+12025550199"
    assert body["preferences"]["theme"] == "dark"
    assert body["preferences"]["language"] == "en"

    cleared = await client.patch("/api/users/me", json={"phone": None}, headers=account.headers)
    assert cleared.json()["profile"]["phone"] is None


async def test_email_change_signs_in_with_the_new_email(client: httpx.AsyncClient) -> None:
    account = await register(client)
    taken = await register(client)
    conflict = await client.patch(
        "/api/users/me", json={"email": taken.email}, headers=account.headers
    )
    assert_error(conflict, 409, "conflict")

    new_email = unique_email("moved")
    await client.patch("/api/users/me", json={"email": new_email}, headers=account.headers)
    login = await client.post(
        "/api/auth/login", json={"email": new_email, "password": account.password}
    )
    assert login.status_code == 200
    old = await client.post(
        "/api/auth/login", json={"email": account.email, "password": account.password}
    )
    assert_error(old, 401)


@pytest.mark.parametrize(
    "patch",
    [
        {"stats": {"xp": 100000}},  # read-only
        {"preferences": {"theme": "neon"}},
        {"preferences": {"timeZone": "Mars/Olympus_Mons"}},
        {"name": ""},
        {"name": None},
        {"name": "x" * 201},
        {"email": "not-an-email"},
        {"phone": "call me maybe"},
        {"avatarUrl": "javascript:alert(1)"},
        {"medicalCard": {"bmi": 22.0}},  # computed, never accepted
        {"medicalCard": {"heightCm": 20}},
        {"medicalCard": {"heightCm": 400}},
        {"medicalCard": {"weightKg": 0.5}},
        {"medicalCard": {"weightKg": "heavy"}},
        {"medicalCard": {"bloodType": "C+"}},
        {"medicalCard": {"allergies": ["x" * 201]}},
        {"medicalCard": {"allergies": None}},
        {"medicalCard": {"shareable": ["password"]}},
        {"unknownField": 1},
    ],
)
async def test_bad_profile_patches_are_422_and_change_nothing(
    client: httpx.AsyncClient, patch: dict[str, object]
) -> None:
    account = await register(client)
    before = (await client.get("/api/users/me", headers=account.headers)).json()
    response = await client.patch("/api/users/me", json=patch, headers=account.headers)
    error = assert_error(response, 422, "validation_error")
    assert error["details"], "validation errors list the fields"
    after = (await client.get("/api/users/me", headers=account.headers)).json()
    assert after == before


@pytest.mark.parametrize(
    ("height", "weight", "bmi", "category"),
    [
        (180, 81, 25.0, "pre_obese"),
        (170, 65, 22.5, "normal"),
        (160, 40, 15.6, "severe_thinness"),
        (150, 95, 42.2, "obese_class_3"),
    ],
)
async def test_bmi_is_computed_server_side(
    client: httpx.AsyncClient, height: float, weight: float, bmi: float, category: str
) -> None:
    account = await register(client)
    response = await client.patch(
        "/api/users/me/medical-card",
        json={"heightCm": height, "weightKg": weight},
        headers=account.headers,
    )
    assert response.status_code == 200, response.text
    card = response.json()
    assert (card["bmi"], card["bmiCategory"]) == (bmi, category)
    # Recomputed on every change, including clearing a measurement.
    cleared = await client.patch(
        "/api/users/me", json={"medicalCard": {"weightKg": None}}, headers=account.headers
    )
    assert cleared.json()["medicalCard"]["bmi"] is None


async def test_medical_card_round_trip(client: httpx.AsyncClient) -> None:
    account = await register(client)
    card = {
        "bloodType": "AB-",
        "allergies": ["penicillin"],
        "conditions": ["asthma"],
        "medications": ["salbutamol"],
        "emergencyContacts": [{"name": "Sam", "phone": "+15550100", "relation": "sibling"}],
        "shareable": ["bloodType", "allergies"],
    }
    response = await client.patch("/api/users/me/medical-card", json=card, headers=account.headers)
    assert response.status_code == 200
    stored = (await client.get("/api/users/me/medical-card", headers=account.headers)).json()
    for field, value in card.items():
        assert stored[field] == value


async def test_emergency_qr_shows_only_shareable_fields_and_regenerating_revokes(
    client: httpx.AsyncClient,
) -> None:
    account = await register(client, name="Alan Turing")
    await client.patch(
        "/api/users/me/medical-card",
        json={
            "bloodType": "B+",
            "allergies": ["peanuts"],
            "conditions": ["private condition"],
            "shareable": ["name", "bloodType", "allergies"],
        },
        headers=account.headers,
    )
    first = await client.post("/api/qr", headers=account.headers)
    assert first.status_code == 200
    assert first.headers["content-type"] == "image/png"
    link = decode_qr(first.content)
    assert link == first.headers["X-Card-Link"]
    path = "/api/cards/" + link.split("/api/cards/", 1)[1]

    public = await client.get(path)  # no credentials: it is for first responders
    assert public.status_code == 200
    assert public.json() == {"name": "Alan Turing", "bloodType": "B+", "allergies": ["peanuts"]}

    second = await client.post("/api/qr?format=svg", headers=account.headers)
    assert second.headers["content-type"] == "image/svg+xml"
    assert_error(await client.get(path), 404)
    new_path = "/api/cards/" + second.headers["X-Card-Link"].split("/api/cards/", 1)[1]
    assert (await client.get(new_path)).status_code == 200
    assert_error(await client.get("/api/cards/not-a-token"), 404)


def image_bytes(fmt: str, size: tuple[int, int] = (32, 32)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("fmt", "content_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")]
)
async def test_avatar_upload_and_public_download(
    client: httpx.AsyncClient, fmt: str, content_type: str
) -> None:
    account = await register(client)
    upload = await client.put(
        "/api/users/me/avatar",
        content=image_bytes(fmt),
        headers={**account.headers, "Content-Type": content_type},
    )
    assert upload.status_code == 204, upload.text
    mine = await client.get("/api/users/me/avatar", headers=account.headers)
    public = await client.get(f"/api/users/{account.user_id}/avatar")
    for response in (mine, public):
        assert response.status_code == 200
        assert response.headers["content-type"] == content_type
        assert Image.open(io.BytesIO(response.content)).format == fmt


async def test_avatar_by_multipart_form(client: httpx.AsyncClient) -> None:
    account = await register(client)
    files = {"file": ("me.png", image_bytes("PNG"), "image/png")}
    upload = await client.put("/api/users/me/avatar", files=files, headers=account.headers)
    assert upload.status_code == 204, upload.text
    assert (await client.get(f"/api/users/{account.user_id}/avatar")).status_code == 200


async def test_avatar_refuses_non_images_and_oversized_files(client: httpx.AsyncClient) -> None:
    account = await register(client)
    renamed_text = await client.put(
        "/api/users/me/avatar",
        files={"file": ("notes.png", b"just some text, not a picture", "image/png")},
        headers=account.headers,
    )
    assert_error(renamed_text, 415, "unsupported_media_type")
    gif = io.BytesIO()
    Image.new("RGB", (8, 8)).save(gif, format="GIF")
    assert_error(
        await client.put("/api/users/me/avatar", content=gif.getvalue(), headers=account.headers),
        415,
    )
    too_big = b"\x89PNG" + b"\0" * (2 * 1024 * 1024 + 10)
    assert_error(
        await client.put("/api/users/me/avatar", content=too_big, headers=account.headers), 413
    )
    assert_error(await client.get("/api/users/me/avatar", headers=account.headers), 404)
    assert_error(await client.get(f"/api/users/{account.user_id}/avatar"), 404)


async def test_avatar_metadata_is_stripped(client: httpx.AsyncClient) -> None:
    account = await register(client)
    image = Image.new("RGB", (16, 16))
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"  # Make
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes())
    assert b"SecretCameraMaker" in buffer.getvalue()
    await client.put("/api/users/me/avatar", content=buffer.getvalue(), headers=account.headers)
    served = await client.get(f"/api/users/{account.user_id}/avatar")
    assert served.status_code == 200
    assert b"SecretCameraMaker" not in served.content


async def test_delete_account_ends_sessions_and_frees_the_email(client: httpx.AsyncClient) -> None:
    account = await register(client)
    assert (await client.delete("/api/users/me", headers=account.headers)).status_code == 204
    assert_error(await client.get("/api/users/me", headers=account.headers), 401)
    assert_error(
        await client.post("/api/auth/refresh", json={"refreshToken": account.refresh}), 401
    )
    again = await client.post(
        "/api/auth/register",
        json={"email": account.email, "password": account.password, "name": "New Me"},
    )
    assert again.status_code == 201
