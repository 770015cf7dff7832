"""Hooks: a package announces a moment, others subscribe to it, and the arrows point one way.

The package that owns the moment declares the hook and fires it; the packages that act on
it import that package and subscribe. Subscribing happens when the subscriber's module is
imported, so the composition root (`runtime.py`) imports every subscriber.

`Observers` are the per-object kind: an object (a model registry, say) tells whoever
watches it what happens, as it happens, and each runtime has its own, so two apps in one
process (the tests) never hear each other."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Generic, ParamSpec, TypeVar

P = ParamSpec("P")
Obs = TypeVar("Obs")

log = logging.getLogger("confidant")


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


class Observers(Generic[Obs]):
    """The observers of one object's events, told synchronously and in order. Safe to
    notify from a worker thread while another thread adds one; an observer that raises is
    logged, and the work it watches goes on."""

    def __init__(self) -> None:
        self._observers: tuple[Obs, ...] = ()  # replaced, never changed: threads read it

    def add(self, observer: Obs) -> None:
        if observer not in self._observers:
            self._observers = (*self._observers, observer)

    def remove(self, observer: Obs) -> None:
        self._observers = tuple(o for o in self._observers if o is not observer)

    def notify(self, event: Callable[[Obs], object]) -> None:
        for observer in self._observers:
            try:
                event(observer)
            except Exception:
                log.exception("observer %r failed", observer)

    def __len__(self) -> int:
        return len(self._observers)
