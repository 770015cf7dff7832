"""The API call being served, as the ledger sees it: its request id and its caller.

The middleware opens a `CallContext`; authentication names the caller in it. It is a
mutable holder, so a caller named in a copied context (a worker thread) still counts."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class CallContext:
    request_id: str
    user_id: str | None = None


_current: ContextVar[CallContext | None] = ContextVar("confidant_ledger_call", default=None)


def current_call() -> CallContext | None:
    return _current.get()


class api_call:  # noqa: N801  (used as `with api_call(request_id) as call`)
    """The API call being served, for the `with` block: a class rather than a generator
    context manager, as it runs on every request and costs half as much."""

    __slots__ = ("_call", "_token")

    def __init__(self, request_id: str) -> None:
        self._call = CallContext(request_id)

    def __enter__(self) -> CallContext:
        self._token = _current.set(self._call)
        return self._call

    def __exit__(self, *exc: object) -> None:
        _current.reset(self._token)


def note_caller(user_id: str) -> None:
    """Name the user this API call acts for (no-op outside a call)."""
    call = _current.get()
    if call is not None:
        call.user_id = user_id
