"""Importing libraries that misbehave when imported.

transformers loads its modules lazily; two threads importing it at once (the model
registry loading a chat model while the embedder loads at start-up) can each see it
half-initialised and fail with "cannot import name ...". Imports of transformers and
sentence-transformers off the main thread take `ML_IMPORT_LOCK` first.

Some libraries raise the interpreter's recursion limit when imported (py_ecc, under
web3, to 100,000). A parser recursing that deep overflows the C stack and kills the
process instead of raising RecursionError, so the server keeps Python's default.
"""

import contextlib
import logging
import sys
import threading
from collections.abc import Iterator

ML_IMPORT_LOCK = threading.Lock()
DEFAULT_RECURSION_LIMIT = 1000  # CPython's own

log = logging.getLogger("confidant")


@contextlib.contextmanager
def keeping_recursion_limit() -> Iterator[None]:
    """Run an import, then put back the recursion limit it may have raised."""
    limit = sys.getrecursionlimit()
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def restore_default_recursion_limit() -> None:
    """For a server process: lower a recursion limit that an import left raised."""
    limit = sys.getrecursionlimit()
    if limit > DEFAULT_RECURSION_LIMIT:
        log.warning(
            "an import raised the recursion limit to %d; putting back %d",
            limit,
            DEFAULT_RECURSION_LIMIT,
        )
        sys.setrecursionlimit(DEFAULT_RECURSION_LIMIT)
