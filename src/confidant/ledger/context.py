"""The API call being served, as the ledger sees it: its request id and its caller.

The middleware opens a `CallContext`; authentication names the caller in it. It is a
mutable holder, so a caller named in a copied context (a worker thread) still counts."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class CallContext:
    request_id: str
    user_id: str | None = None


_current: ContextVar[CallContext | None] = ContextVar("confidant_ledger_call", default=None)


def current_call() -> CallContext | None:
    return _current.get()


@contextlib.contextmanager
def api_call(request_id: str) -> Iterator[CallContext]:
    call = CallContext(request_id)
    token = _current.set(call)
    try:
        yield call
    finally:
        _current.reset(token)


def note_caller(user_id: str) -> None:
    """Name the user this API call acts for (no-op outside a call)."""
    call = _current.get()
    if call is not None:
        call.user_id = user_id
