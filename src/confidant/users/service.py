"""Profile, preferences, medical card, avatar, emergency QR and account deletion."""

from __future__ import annotations

import asyncio
import hmac
import secrets
from typing import TYPE_CHECKING, Any

from pydantic.alias_generators import to_snake
from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from confidant.auth import hooks as auth_hooks
from confidant.auth import service as auth_service
from confidant.auth.models import User
from confidant.auth.tokens import ACCESS, CARD_SHARE
from confidant.crypto.envelope import DataKey
from confidant.crypto.keystore import user_key_owner
from confidant.kit.blobs import bucket_store, sweep
from confidant.kit.cache import track_user
from confidant.kit.clock import today_for
from confidant.kit.db import new_id, utcnow
from confidant.kit.encrypted import open_document, seal_document
from confidant.kit.errors import InvalidInput, NotFound, Unauthorized
from confidant.kit.repository import one_or_404
from confidant.ledger.context import note_caller
from confidant.tracking.stats import visible_streak
from confidant.users import hooks, repository
from confidant.users.avatar import clean_image
from confidant.users.bmi import body_mass_index, who_category
from confidant.users.models import AVATARS_AREA, Avatar, MedicalCard
from confidant.users.qr import QrFormat, render_qr
from confidant.users.schemas import (
    DEFAULT_SHAREABLE,
    EmergencyCardOut,
    MedicalCardFields,
    MedicalCardOut,
    MeOut,
    MePatch,
    Preferences,
    Profile,
    Stats,
)

if TYPE_CHECKING:
    from confidant.runtime import Runtime


def read_profile(user: User, key: DataKey) -> Profile:
    return Profile(
        name=key.decrypt_text(user.name_ct, table="users", column="name", row_id=user.id),
        email=key.decrypt_text(user.email_ct, table="users", column="email", row_id=user.id),
        phone=key.decrypt_text(user.phone_ct, table="users", column="phone", row_id=user.id),
        avatar_url=user.avatar_url,
    )


# --- medical card ---------------------------------------------------------------


def _card_document(fields: dict[str, Any]) -> dict[str, Any]:
    bmi = body_mass_index(fields.get("height_cm"), fields.get("weight_kg"))
    return {**fields, "bmi": bmi, "bmi_category": who_category(bmi)}


def _empty_card_fields() -> dict[str, Any]:
    return {
        "height_cm": None,
        "weight_kg": None,
        "blood_type": "unknown",
        "allergies": [],
        "conditions": [],
        "medications": [],
        "emergency_contacts": [],
        "shareable": list(DEFAULT_SHAREABLE),
    }


def _seal_card(card: MedicalCard, key: DataKey, document: dict[str, Any]) -> None:
    card.data_ct = seal_document(key, card, "data", document)


def _open_card(card: MedicalCard, key: DataKey) -> dict[str, Any]:
    return open_document(key, card, "data", card.data_ct)


def create_card(session: AsyncSession, user: User, key: DataKey) -> MedicalCard:
    card = MedicalCard(id=new_id(), user_id=user.id, updated_at=utcnow())
    _seal_card(card, key, _card_document(_empty_card_fields()))
    session.add(card)
    return card


@auth_hooks.ACCOUNT_CREATED.subscribe
async def _card_for_new_account(session: AsyncSession, user: User, key: DataKey) -> None:
    """Every account starts with an empty medical card."""
    create_card(session, user, key)


def card_out(card: MedicalCard, key: DataKey) -> MedicalCardOut:
    return MedicalCardOut(**_open_card(card, key), updated_at=card.updated_at)


def update_card(card: MedicalCard, key: DataKey, changes: MedicalCardFields) -> None:
    """Apply the fields the client sent (null clears height/weight) and recompute BMI."""
    fields = {k: v for k, v in _open_card(card, key).items() if k not in ("bmi", "bmi_category")}
    sent = changes.model_dump(include=changes.model_fields_set, by_alias=False, mode="json")
    for name, value in sent.items():
        if value is None and name not in ("height_cm", "weight_kg"):
            raise InvalidInput(
                "Only heightCm and weightKg can be cleared with null",
                details=[{"field": name, "message": "may not be null"}],
            )
        fields[name] = value
    _seal_card(card, key, _card_document(fields))
    card.updated_at = utcnow()


# Built once, like the caller's check in auth: GET /me runs it on every read-cache miss.
_CARD_OF = select(MedicalCard).where(MedicalCard.user_id == bindparam("user_id"))


async def own_card(session: AsyncSession, user: User) -> MedicalCard:
    return await one_or_404(
        session, _CARD_OF, missing="Medical card not found", params={"user_id": user.id}
    )


async def registered_card(session: AsyncSession, user: User, key: DataKey) -> MedicalCardOut:
    """The card of an account that was just registered (new, or a guest's kept)."""
    return card_out(await own_card(session, user), key)


async def get_card(rt: Runtime, session: AsyncSession, user: User) -> MedicalCardOut:
    return card_out(await own_card(session, user), await rt.keystore.user_key(user.id))


async def patch_card(
    rt: Runtime, session: AsyncSession, user: User, changes: MedicalCardFields
) -> MedicalCardOut:
    key = await rt.keystore.user_key(user.id)
    card = await own_card(session, user)
    update_card(card, key, changes)
    return card_out(card, key)


# --- profile ---------------------------------------------------------------------


def cached_me_json(rt: Runtime, access_token: str) -> bytes | None:
    """GET /me as JSON from the read cache, while the user's rows are unchanged."""
    claims = rt.tokens.decode(access_token, ACCESS)
    cached: bytes | None = rt.read_cache.get(str(claims["sub"]), str(claims.get("fam", "")))
    if cached is not None:
        note_caller(str(claims["sub"]))
    return cached


async def me_json(rt: Runtime, session: AsyncSession, access_token: str) -> bytes:
    """GET /me as JSON from the database, remembered in the read cache."""
    claims = rt.tokens.decode(access_token, ACCESS)
    user_id = str(claims["sub"])
    generation = rt.read_cache.generation(user_id)
    principal = await auth_service.authenticate(rt, session, access_token)
    body = (await get_me(rt, session, principal.user)).model_dump_json(by_alias=True).encode()
    rt.read_cache.put(user_id, principal.family_id, body, generation)
    return body


async def get_me(rt: Runtime, session: AsyncSession, user: User) -> MeOut:
    key = await rt.keystore.user_key(user.id)
    card = await own_card(session, user)
    return MeOut(
        id=user.id,
        role=user.role,
        profile=read_profile(user, key),
        preferences=Preferences(**user.preferences),
        stats=Stats(
            streak_days=visible_streak(user.streak_days, user.last_active_on, today_for(user)),
            level=user.level,
            xp=user.xp,
        ),
        medical_card=card_out(card, key),
        created_at=user.created_at,
    )


def _refuse_nulls(patch: MePatch, *names: str) -> None:
    nulls = [n for n in names if n in patch.model_fields_set and getattr(patch, n) is None]
    if nulls:
        raise InvalidInput(
            "These fields cannot be removed",
            details=[{"field": n, "message": "may not be null"} for n in nulls],
        )


async def update_me(rt: Runtime, session: AsyncSession, user: User, patch: MePatch) -> MeOut:
    _refuse_nulls(patch, "name", "email", "preferences", "medical_card")
    key = await rt.keystore.user_key(user.id)
    sent = patch.model_fields_set
    if patch.name is not None:
        auth_service.set_name(user, key, patch.name)
    if patch.email is not None:
        await auth_service.set_email(rt, session, user, key, patch.email)
    if "phone" in sent:
        await auth_service.set_phone(rt, session, user, key, patch.phone)
    if "avatar_url" in sent:
        user.avatar_url = str(patch.avatar_url) if patch.avatar_url else None
    if patch.preferences is not None:
        changes = patch.preferences.model_dump(exclude_none=True, by_alias=False)
        if changes.get("remember_chats") is False and user.preferences.get("remember_chats", True):
            await hooks.CHATS_FORGOTTEN.fire(session, user.id)
        user.preferences = Preferences(**{**user.preferences, **changes}).model_dump()
    if patch.medical_card is not None:
        update_card(await own_card(session, user), key, patch.medical_card)
    await session.flush()
    return await get_me(rt, session, user)


# --- avatar ----------------------------------------------------------------------


async def put_avatar(rt: Runtime, session: AsyncSession, user: User, upload: bytes) -> str:
    """Public by design, so kept as cleaned: in the bucket when one is configured (one
    object per user, replaced), else in the database."""
    data, content_type = await asyncio.to_thread(clean_image, upload)
    bucket = bucket_store(rt.settings, AVATARS_AREA)
    location = None
    if bucket is not None:
        location = user.id
        await asyncio.to_thread(bucket.put, location, data)
    avatar = await repository.avatar_of(session, user.id)
    if avatar is None:
        avatar = Avatar(user_id=user.id)
        session.add(avatar)
    avatar.content_type, avatar.updated_at = content_type, utcnow()
    avatar.data, avatar.location = (None, location) if location else (data, None)
    return content_type


async def get_avatar(rt: Runtime, session: AsyncSession, user_id: str) -> tuple[str, bytes]:
    """The avatar's content type and image."""
    avatar = await repository.avatar_of(session, user_id)
    if avatar is None:
        raise NotFound("No avatar")
    if avatar.location is None:
        assert avatar.data is not None
        return avatar.content_type, avatar.data
    bucket = bucket_store(rt.settings, AVATARS_AREA)
    if bucket is None:
        raise NotFound("No avatar: the object store is no longer configured")
    return avatar.content_type, await asyncio.to_thread(bucket.get, avatar.location)


async def sweep_avatars(rt: Runtime, session: AsyncSession) -> int:
    """Delete the bucket's avatars whose row is gone (the account was deleted)."""
    bucket = bucket_store(rt.settings, AVATARS_AREA)
    if bucket is None:
        return 0
    rows = await session.scalars(select(Avatar.location).where(Avatar.location.is_not(None)))
    return await asyncio.to_thread(sweep, bucket, {key for key in rows if key})


# --- emergency card and its QR code ------------------------------------------------


async def regenerate_card_qr(
    rt: Runtime, session: AsyncSession, user: User, fmt: QrFormat
) -> tuple[bytes, str, str]:
    """A new signed link to the emergency view, as a QR code; older links stop working."""
    card = await own_card(session, user)
    card.share_nonce = secrets.token_urlsafe(16)
    token = rt.tokens.issue(CARD_SHARE, card.id, None, n=card.share_nonce).token
    link = f"{rt.settings.public_base_url.rstrip('/')}/api/cards/{token}"
    image, content_type = render_qr(link, fmt)
    return image, content_type, link


async def emergency_card(rt: Runtime, session: AsyncSession, token: str) -> EmergencyCardOut:
    try:
        claims = rt.tokens.decode(token, CARD_SHARE, expiring=False)
    except Unauthorized as exc:
        raise NotFound("Emergency card not found") from exc
    card = await session.get(MedicalCard, claims["sub"])
    nonce = claims.get("n")
    current = card.share_nonce if card else None
    if card is None or not current or not isinstance(nonce, str):
        raise NotFound("Emergency card not found")
    if not hmac.compare_digest(current, nonce):
        raise NotFound("Emergency card not found")
    key = await rt.keystore.user_key(card.user_id)
    document = _open_card(card, key)
    shared: dict[str, Any] = {
        to_snake(name): document.get(to_snake(name)) for name in document["shareable"]
    }
    if "name" in shared:
        owner = await session.get(User, card.user_id)
        shared["name"] = read_profile(owner, key).name if owner else None
    if "bmi" in shared:
        shared["bmi_category"] = document.get("bmi_category")
    return EmergencyCardOut(**shared)


# --- deletion ----------------------------------------------------------------------


async def delete_account(rt: Runtime, session: AsyncSession, user: User) -> None:
    """Destroy the data key first (committed on its own), then every row of the user."""
    await rt.keystore.destroy(user_key_owner(user.id))
    track_user(session, user.id)
    await hooks.ACCOUNT_DELETED.fire(session, user.id)
    await session.execute(delete(User).where(User.id == user.id))
