"""Registration and the four ways in (password, PIN, QR code, guest); token families."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, Select, bindparam, delete, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from confidant.auth import hooks, repository
from confidant.auth.models import (
    ROLE_ADMIN,
    ROLE_GUEST,
    ROLE_USER,
    SESSION_QR_LOGIN,
    SESSION_REFRESH,
    Session,
    User,
)
from confidant.auth.schemas import RegisterIn, TokensOut
from confidant.auth.tokens import ACCESS, QR_LOGIN, REFRESH, jti_digest
from confidant.crypto.envelope import DataKey
from confidant.crypto.keystore import user_key_owner
from confidant.kit.cache import track_user
from confidant.kit.db import new_id, utcnow
from confidant.kit.errors import Conflict, Forbidden, TooManyRequests, Unauthorized
from confidant.kit.repository import one_or_404, scoped
from confidant.ledger.context import note_caller

if TYPE_CHECKING:
    from confidant.runtime import Runtime

BAD_CREDENTIALS = "Email or password is incorrect"
BAD_PIN = "User id or PIN is incorrect"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: the user row and the sign-in session (token family)."""

    user: User
    family_id: str

    @property
    def is_guest(self) -> bool:
        return self.user.role == ROLE_GUEST

    @property
    def is_admin(self) -> bool:
        return self.user.role == ROLE_ADMIN


# --- the account's identity: name, email and phone, sealed with its key ---------------


def email_index(rt: Runtime, email: str) -> str:
    return rt.blind_index("email", email.strip().lower())


def phone_index(rt: Runtime, phone: str) -> str:
    return rt.blind_index("phone", phone)


async def set_email(
    rt: Runtime, session: AsyncSession, user: User, key: DataKey, email: str
) -> None:
    index = email_index(rt, email)
    holder = await repository.user_by_email_index(session, index)
    if holder is not None and holder.id != user.id:
        raise Conflict("An account with this email already exists")
    user.email_index = index
    user.email_ct = key.encrypt_text(email, table="users", column="email", row_id=user.id)


async def set_phone(
    rt: Runtime, session: AsyncSession, user: User, key: DataKey, phone: str | None
) -> None:
    if phone is None:
        user.phone_index = user.phone_ct = None
        return
    index = phone_index(rt, phone)
    if await repository.phone_taken(session, index, except_user=user.id):
        raise Conflict("An account with this phone number already exists")
    user.phone_index = index
    user.phone_ct = key.encrypt_text(phone, table="users", column="phone", row_id=user.id)


def set_name(user: User, key: DataKey, name: str) -> None:
    user.name_ct = key.encrypt_text(name, table="users", column="name", row_id=user.id)


# --- rate limits -----------------------------------------------------------------


async def throttle(rt: Runtime, scope: str, *, ip: str, account: str | None = None) -> None:
    """Per-IP and per-account limits on sign-in endpoints; 429 with Retry-After."""
    settings = rt.settings
    window = settings.login_rate_window_seconds
    wait = await rt.limiter.hit(f"{scope}:ip:{ip}", settings.login_rate_per_ip, window)
    if account is not None and not wait:
        wait = await rt.limiter.hit(
            f"{scope}:account:{account}", settings.login_rate_per_account, window
        )
    if wait:
        raise TooManyRequests("Too many attempts, try again later", retry_after=wait)


# --- sessions and tokens -------------------------------------------------------------


async def open_session(
    rt: Runtime, session: AsyncSession, user: User, family_id: str | None = None
) -> TokensOut:
    """Issue an access token and a refresh token, recording the refresh token's jti."""
    settings = rt.settings
    note_caller(user.id)
    family_id = family_id or new_id()
    refresh_ttl = timedelta(seconds=settings.refresh_token_ttl_seconds)
    if user.guest_expires_at is not None:
        refresh_ttl = min(refresh_ttl, user.guest_expires_at - utcnow())
    refresh = rt.tokens.issue(REFRESH, user.id, refresh_ttl, fam=family_id)
    access_ttl = timedelta(seconds=settings.access_token_ttl_seconds)
    access = rt.tokens.issue(ACCESS, user.id, access_ttl, fam=family_id, role=user.role)
    assert refresh.expires_at is not None
    session.add(
        Session(
            token=jti_digest(refresh.jti),
            user_id=user.id,
            kind=SESSION_REFRESH,
            family_id=family_id,
            expires_at=refresh.expires_at,
        )
    )
    return TokensOut(
        access_token=access.token,
        refresh_token=refresh.token,
        expires_in=settings.access_token_ttl_seconds,
        user_id=user.id,
        role=user.role,
    )


# Built once: every authenticated request that misses the read cache runs it, and
# building it per call (with literal values) cost about a third of its time.
_LIVE_CALLER = select(User).where(
    User.id == bindparam("user_id"),
    exists().where(
        Session.family_id == bindparam("family_id"),
        Session.user_id == User.id,
        Session.revoked_at.is_(None),
        Session.expires_at > bindparam("now"),
    ),
)


async def authenticate(rt: Runtime, session: AsyncSession, access_token: str) -> Principal:
    """The caller behind an access token whose sign-in session is still live."""
    claims = rt.tokens.decode(access_token, ACCESS)
    family_id = str(claims.get("fam", ""))
    now = utcnow()
    user = await session.scalar(
        _LIVE_CALLER, {"user_id": claims["sub"], "family_id": family_id, "now": now}
    )
    if user is None or (user.guest_expires_at is not None and user.guest_expires_at <= now):
        raise Unauthorized("Session has ended")
    note_caller(user.id)
    return Principal(user, family_id)


async def revoke_family(session: AsyncSession, user_id: str, family_id: str) -> None:
    """End one sign-in: every refresh token of the family, and its access tokens."""
    await _revoke(session, user_id, Session.family_id == family_id)


async def revoke_all_sessions(session: AsyncSession, user_id: str) -> None:
    await _revoke(session, user_id)


async def _revoke(session: AsyncSession, user_id: str, *conditions: ColumnElement[bool]) -> None:
    track_user(session, user_id)
    await session.execute(
        update(Session)
        .where(Session.user_id == user_id, Session.revoked_at.is_(None), *conditions)
        .values(revoked_at=utcnow())
    )


async def refresh(rt: Runtime, session: AsyncSession, refresh_token: str) -> TokensOut:
    """Rotate a refresh token. Presenting one already rotated revokes its whole family."""
    claims = rt.tokens.decode(refresh_token, REFRESH)
    record = await session.scalar(select(Session).where(Session.token == jti_digest(claims["jti"])))
    if record is None or record.kind != SESSION_REFRESH or record.revoked_at is not None:
        raise Unauthorized("Refresh token is no longer valid")
    rotated = await session.execute(
        update(Session)
        .where(Session.id == record.id, Session.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if rotated.rowcount != 1:  # type: ignore[attr-defined]
        await revoke_family(session, record.user_id, record.family_id)
        raise Unauthorized(
            "Refresh token was already used; every session of this sign-in is now revoked",
            details={"reason": "refresh_token_reuse"},
            keep_changes=True,
        )
    user = await session.get(User, record.user_id)
    if user is None:
        raise Unauthorized("Refresh token is no longer valid")
    return await open_session(rt, session, user, family_id=record.family_id)


def refresh_lifetime(rt: Runtime, refresh_token: str) -> int:
    """Seconds a refresh token we issued has left (a guest's ends with the guest)."""
    expires = int(rt.tokens.decode(refresh_token, REFRESH)["exp"])
    return max(0, expires - int(utcnow().timestamp()))


async def logout_by_refresh(rt: Runtime, session: AsyncSession, refresh_token: str) -> None:
    """End the sign-in a refresh token belongs to (the cookie's, when signing out in
    cookie mode). A token already rotated still names its sign-in: that ends too."""
    claims = rt.tokens.decode(refresh_token, REFRESH)
    record = await session.scalar(select(Session).where(Session.token == jti_digest(claims["jti"])))
    if record is None or record.kind != SESSION_REFRESH or record.revoked_at is not None:
        raise Unauthorized("Refresh token is no longer valid")
    note_caller(record.user_id)
    await revoke_family(session, record.user_id, record.family_id)


def _live_sessions_of(principal: Principal) -> Select[Session]:
    """The caller's live sign-in sessions: the newest refresh token of each family."""
    return scoped(Session, principal.user.id).where(
        Session.kind == SESSION_REFRESH,
        Session.revoked_at.is_(None),
        Session.used_at.is_(None),
        Session.expires_at > utcnow(),
    )


async def list_sessions(session: AsyncSession, principal: Principal) -> list[Session]:
    rows = await session.scalars(_live_sessions_of(principal).order_by(Session.created_at.desc()))
    return list(rows)


async def own_session(session: AsyncSession, principal: Principal, session_id: str) -> Session:
    """One of the caller's live sign-in sessions; anyone else's is 404."""
    live = _live_sessions_of(principal).where(Session.id == session_id)
    return await one_or_404(session, live, missing="Session not found")


async def revoke_session(session: AsyncSession, principal: Principal, session_id: str) -> None:
    record = await own_session(session, principal, session_id)
    await revoke_family(session, principal.user.id, record.family_id)


# --- registration and password sign-in --------------------------------------------------


@dataclass(frozen=True)
class Registration:
    """A registered account, signed in: its tokens, its row and its data key."""

    tokens: TokensOut
    user: User
    key: DataKey


async def register(
    rt: Runtime, session: AsyncSession, data: RegisterIn, guest: User | None = None
) -> Registration:
    """Create an account, or upgrade the calling guest's account in place, and sign in."""
    user, key = await create_account(rt, session, data, guest=guest)
    return Registration(await open_session(rt, session, user), user, key)


async def create_account(
    rt: Runtime,
    session: AsyncSession,
    data: RegisterIn,
    *,
    role: str = ROLE_USER,
    guest: User | None = None,
) -> tuple[User, DataKey]:
    index = email_index(rt, data.email)
    if await repository.user_by_email_index(session, index) is not None:
        raise Conflict("An account with this email already exists")
    if guest is not None:
        key = await rt.keystore.user_key(guest.id)
        guest.role, guest.guest_expires_at = role, None
        await revoke_all_sessions(session, guest.id)  # the guest's tokens end here
        await _fill_account(rt, session, guest, key, data)
        return guest, key
    user = User(id=new_id(), role=role, preferences={})
    async with rt.keystore.provisional(user_key_owner(user.id)) as key:
        session.add(user)
        await hooks.ACCOUNT_CREATED.fire(session, user, key)
        await _fill_account(rt, session, user, key, data)
    return user, key


async def _fill_account(
    rt: Runtime, session: AsyncSession, user: User, key: DataKey, data: RegisterIn
) -> None:
    set_name(user, key, data.name)
    await set_email(rt, session, user, key, data.email)
    await set_phone(rt, session, user, key, data.phone)
    user.password_hash = await rt.hasher.hash(data.password)
    try:
        await session.flush()
    except IntegrityError as exc:  # lost a race with a concurrent registration
        raise Conflict("An account with this email or phone already exists") from exc


async def login(
    rt: Runtime, session: AsyncSession, email: str, password: str, ip: str
) -> TokensOut:
    index = email_index(rt, email)
    await throttle(rt, "login", ip=ip, account=index)
    user = await repository.user_by_email_index(session, index)
    if not await rt.hasher.verify(user.password_hash if user else None, password) or user is None:
        raise Unauthorized(BAD_CREDENTIALS)
    return await open_session(rt, session, user)


async def logout(session: AsyncSession, principal: Principal) -> None:
    await revoke_family(session, principal.user.id, principal.family_id)


# --- PIN ------------------------------------------------------------------------------


async def set_pin(rt: Runtime, principal: Principal, pin: str) -> None:
    if principal.is_guest:
        raise Forbidden("Guests cannot set a PIN; register first")
    principal.user.pin_hash = await rt.hasher.hash(pin)
    await rt.limiter.clear_failures(f"pin:{principal.user.id}")


async def pin_login(
    rt: Runtime, session: AsyncSession, user_id: str, pin: str, ip: str
) -> TokensOut:
    """PIN sign-in; the account locks after too many failures, whichever IPs they came from."""
    lock_key = f"pin:{user_id}"
    await throttle(rt, "pin", ip=ip)
    locked = await rt.limiter.locked_for(lock_key)
    if locked:
        raise TooManyRequests("PIN sign-in is locked for this account", retry_after=locked)
    user = await session.get(User, user_id)
    if user is None or not await rt.hasher.verify(user.pin_hash, pin):
        settings = rt.settings
        locked = await rt.limiter.add_failure(
            lock_key, settings.pin_max_failures, settings.pin_lockout_seconds
        )
        if locked:
            raise TooManyRequests("PIN sign-in is locked for this account", retry_after=locked)
        raise Unauthorized(BAD_PIN)
    await rt.limiter.clear_failures(lock_key)
    return await open_session(rt, session, user)


# --- QR sign-in -----------------------------------------------------------------------


async def issue_login_qr(
    rt: Runtime, session: AsyncSession, principal: Principal
) -> tuple[str, datetime]:
    """A signed, single-use sign-in string for a second device."""
    ttl = timedelta(seconds=rt.settings.qr_login_ttl_seconds)
    issued = rt.tokens.issue(QR_LOGIN, principal.user.id, ttl)
    assert issued.expires_at is not None
    session.add(
        Session(
            token=jti_digest(issued.jti),
            user_id=principal.user.id,
            kind=SESSION_QR_LOGIN,
            family_id=new_id(),
            expires_at=issued.expires_at,
        )
    )
    return issued.token, issued.expires_at


async def qr_login(rt: Runtime, session: AsyncSession, qr: str, ip: str) -> TokensOut:
    await throttle(rt, "qr", ip=ip)
    claims = rt.tokens.decode(qr, QR_LOGIN)
    claimed = await session.execute(
        update(Session)
        .where(
            Session.token == jti_digest(claims["jti"]),
            Session.kind == SESSION_QR_LOGIN,
            Session.used_at.is_(None),
            Session.revoked_at.is_(None),
            Session.expires_at > utcnow(),
        )
        .values(used_at=utcnow())
    )
    user = await session.get(User, claims["sub"])
    if claimed.rowcount != 1 or user is None:  # type: ignore[attr-defined]
        raise Unauthorized("This QR code was already used or has expired")
    return await open_session(rt, session, user)


# --- guests ------------------------------------------------------------------------------


async def start_guest(rt: Runtime, session: AsyncSession, ip: str) -> TokensOut:
    await throttle(rt, "guest", ip=ip)
    ttl = timedelta(seconds=rt.settings.guest_session_ttl_seconds)
    user = User(id=new_id(), role=ROLE_GUEST, preferences={}, guest_expires_at=utcnow() + ttl)
    async with rt.keystore.provisional(user_key_owner(user.id)) as key:
        session.add(user)
        await hooks.ACCOUNT_CREATED.fire(session, user, key)
        await session.flush()
    return await open_session(rt, session, user)


async def purge_expired(rt: Runtime, session: AsyncSession) -> int:
    """Delete guests whose session ran out (keys first) and expired token records."""
    now = utcnow()
    expired = list(
        await session.scalars(
            select(User.id).where(User.role == ROLE_GUEST, User.guest_expires_at <= now)
        )
    )
    for user_id in expired:
        await rt.keystore.destroy(user_key_owner(user_id))
        track_user(session, user_id)
    if expired:
        await session.execute(delete(User).where(User.id.in_(expired)))
    await session.execute(delete(Session).where(Session.expires_at <= now))
    return len(expired)


ORPHAN_KEY_GRACE = timedelta(hours=1)  # far longer than any registration's transaction
ORPHAN_SWEEP_BATCH = 500


async def sweep_orphan_keys(rt: Runtime, session: AsyncSession) -> int:
    """Destroy data keys of accounts that never came to be (a registration whose
    transaction failed after its key was stored). Returns how many went."""
    prefix = user_key_owner("")
    owners = await rt.keystore.owners_created_before(
        prefix, utcnow() - ORPHAN_KEY_GRACE, ORPHAN_SWEEP_BATCH
    )
    ids = [owner.removeprefix(prefix) for owner in owners]
    existing = set(await session.scalars(select(User.id).where(User.id.in_(ids))))
    orphans = [user_id for user_id in ids if user_id not in existing]
    for user_id in orphans:
        await rt.keystore.destroy(user_key_owner(user_id))
    return len(orphans)


async def create_admin(
    rt: Runtime, session: AsyncSession, email: str, name: str, password: str | None
) -> User:
    """Promote the account with this email to admin, or create it (password required)."""
    existing = await repository.user_by_email_index(session, email_index(rt, email))
    if existing is not None:
        existing.role = ROLE_ADMIN
        return existing
    if not password:
        raise Conflict("No account with this email exists; a password is needed to create one")
    data = RegisterIn(email=email, password=password, name=name)
    user, _ = await create_account(rt, session, data, role=ROLE_ADMIN)
    return user
