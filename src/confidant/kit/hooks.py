"""Hooks: a package announces a moment, others subscribe to it, and the arrows point one way.

The package that owns the moment declares the hook and fires it; the packages that act on
it import that package and subscribe. Subscribing happens when the subscriber's module is
imported, so the composition root (`runtime.py`) imports every subscriber."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, ParamSpec

P = ParamSpec("P")


class Hook(Generic[P]):
    """Functions other packages subscribe; `fire` awaits each, in subscription order."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._subscribers: list[Callable[P, Awaitable[None]]] = []

    def subscribe(self, function: Callable[P, Awaitable[None]]) -> Callable[P, Awaitable[None]]:
        if function not in self._subscribers:  # a module imported twice subscribes once
            self._subscribers.append(function)
        return function

    async def fire(self, *args: P.args, **kwargs: P.kwargs) -> None:
        for function in self._subscribers:
            await function(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Hook({self.name!r}, {len(self._subscribers)} subscribers)"
