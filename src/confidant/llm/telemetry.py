"""What a generation tells its observers as it runs: its prompt, each token, its end.

A model opens a `Generation` once the request has a slot, with the time it arrived
(before any wait in the queue), and reports each token as the model produces it, so the
timings are the engine's, as vLLM measures them: time to first token (queueing
included), the gap between tokens, and arrival to end. Observers hear the model's name,
never whose request it was or with which adapter.
"""

from __future__ import annotations

import time
from typing import Protocol

from confidant.kit.hooks import Observers


class GenerationObserver(Protocol):
    def generation_started(self, model: str, prompt_tokens: int) -> None:
        """A generation got its slot; its prompt is `prompt_tokens` long."""

    def first_token(self, model: str, seconds: float) -> None:
        """Its first token, `seconds` after the request arrived."""

    def next_token(self, model: str, seconds: float) -> None:
        """Another token, `seconds` after the one before."""

    def generation_finished(self, model: str, seconds: float) -> None:
        """It ended (done, stopped or failed), `seconds` after the request arrived."""


GenerationObservers = Observers[GenerationObserver]


class Generation:
    """One generation's clock. `token` may be called from the thread that generates;
    `finish` once, after the last `token`."""

    __slots__ = ("_arrived", "_last", "_model", "_observers", "tokens")

    def __init__(
        self, observers: GenerationObservers, model: str, arrived: float, prompt_tokens: int
    ) -> None:
        self._observers = observers
        self._model = model
        self._arrived = arrived
        self._last: float | None = None
        self.tokens = 0
        observers.notify(lambda o: o.generation_started(model, prompt_tokens))

    def token(self) -> None:
        now = time.perf_counter()
        model, last = self._model, self._last
        if last is None:
            since_arrival = now - self._arrived
            self._observers.notify(lambda o: o.first_token(model, since_arrival))
        else:
            self._observers.notify(lambda o: o.next_token(model, now - last))
        self._last = now
        self.tokens += 1

    def finish(self) -> None:
        model, seconds = self._model, time.perf_counter() - self._arrived
        self._observers.notify(lambda o: o.generation_finished(model, seconds))


def arrived() -> float:
    """The clock a `Generation` counts from."""
    return time.perf_counter()
