"""Statements scoped to the caller: every query on user data starts here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, ClassVar, Protocol, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from confidant.kit.errors import NotFound
from confidant.kit.pagination import Page, decode_cursor, older_than, split_page


class UserOwned(Protocol):
    """A mapped model whose rows belong to one user."""

    id: ClassVar[InstrumentedAttribute[str]]
    # Any: a job's owner is nullable (system jobs have none), the others' are not, and
    # the attribute's type is invariant.
    user_id: ClassVar[InstrumentedAttribute[Any]]


M = TypeVar("M", bound=UserOwned)
R = TypeVar("R")
T = TypeVar("T")
D = TypeVar("D", bound=date)


def scoped(model: type[M], user_id: str) -> Select[M]:
    """`select(model)` narrowed to the rows of `user_id`."""
    return select(model).where(model.user_id == user_id)


async def one_or_404(
    session: AsyncSession,
    statement: Select[R],
    *,
    missing: str,
    params: Mapping[str, Any] | None = None,
) -> R:
    """The statement's first row, or NotFound with `missing` as its message. `params`
    fills the bind parameters of a statement built once."""
    row = await session.scalar(statement, params)
    if row is None:
        raise NotFound(missing)
    return row


async def owned(
    session: AsyncSession, model: type[M], user_id: str, id: str, *, missing: str = "Not found"
) -> M:
    """The row `id` of `user_id`; absent or someone else's is the same 404."""
    return await one_or_404(session, scoped(model, user_id).where(model.id == id), missing=missing)


async def keyset_page(
    session: AsyncSession,
    statement: Select[M],
    out: Callable[[M], T],
    *,
    newest_first_by: InstrumentedAttribute[D],
    kind: type[D],
    cursor: str | None,
    limit: int,
) -> Page[T]:
    """One page of `statement` through `out`, newest first by the column (then id)."""
    model: Any = newest_first_by.class_
    if cursor:
        after = decode_cursor(cursor, kind)
        statement = statement.where(older_than(newest_first_by, model.id, after))
    ordered = statement.order_by(newest_first_by.desc(), model.id.desc()).limit(limit + 1)
    rows = (await session.scalars(ordered)).all()
    page, next_cursor = split_page(
        rows, limit, lambda row: (getattr(row, newest_first_by.key), row.id)
    )
    return Page[T](items=[out(row) for row in page], next_cursor=next_cursor)
