"""Values worked out from a person's messages, kept by a SHA-256 of the text, never the
text: the crisis screen reads the same recent turns again with every new message."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from typing import Generic, TypeVar

Value = TypeVar("Value")


class DigestCache(Generic[Value]):
    """The newest `size` values by digest. A value another thread is working out is
    waited for, not worked out twice; one that failed is forgotten and raised."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[bytes, Future[Value]] = OrderedDict()
        self._lock = threading.Lock()

    def __iter__(self) -> Iterator[bytes]:
        with self._lock:
            return iter(list(self._values))

    def get(
        self, texts: Sequence[str], work_out: Callable[[list[str]], Sequence[Value]]
    ) -> list[Value]:
        """The value of each text; `work_out` gets the texts not known yet, in one call."""
        keys = [hashlib.sha256(text.encode()).digest() for text in texts]
        mine: list[tuple[bytes, str, Future[Value]]] = []
        futures = []
        with self._lock:
            for key, text in zip(keys, texts, strict=True):
                future = self._values.get(key)
                if future is None:
                    future = self._values[key] = Future()
                    mine.append((key, text, future))
                self._values.move_to_end(key)
                futures.append(future)
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        if mine:
            try:
                values = work_out([text for _, text, _ in mine])
            except BaseException as error:
                with self._lock:
                    for key, _, future in mine:
                        self._values.pop(key, None)
                        future.set_exception(error)
                raise
            for (_, _, future), value in zip(mine, values, strict=True):
                future.set_result(value)
        return [future.result() for future in futures]
