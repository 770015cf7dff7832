"""How uvicorn serves the app: one place for `confidant serve` and the tests' live server.

uvicorn answers requests it cannot parse (a URL or headers past its parser's limits,
malformed HTTP) itself, in plain text, before the app sees them. Its protocol here
answers them in the one error shape instead.

With several worker processes the metrics are shared through a directory of their own
(`app/metrics.py`), which `shared_metrics_directory` makes for one server's run.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

from uvicorn.config import LOGGING_CONFIG
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from confidant.app.metrics import MULTIPROCESS_DIR_ENV
from confidant.kit.errors import error_body

UNREADABLE_REQUEST = (
    "The request could not be read: its URL or headers are too long (the URL's limit is "
    "about 64 KB), or it is not well-formed HTTP"
)


class ErrorShapeHttpToolsProtocol(HttpToolsProtocol):
    def send_400_response(self, msg: str) -> None:
        body = json.dumps(error_body("bad_request", UNREADABLE_REQUEST)).encode()
        head = [b"HTTP/1.1 400 Bad Request\r\n"]
        for name, value in self.server_state.default_headers:
            head.append(name + b": " + value + b"\r\n")
        head.append(b"content-type: application/json\r\n")
        head.append(b"content-length: " + str(len(body)).encode() + b"\r\n")
        head.append(b"connection: close\r\n\r\n")
        self.transport.write(b"".join(head) + body)
        self.transport.close()


def uvicorn_options() -> dict[str, Any]:
    """What `uvicorn.run` and `uvicorn.Config` get besides the app, host and port."""
    return {
        "http": ErrorShapeHttpToolsProtocol,
        "ws": "websockets-sansio",
        "proxy_headers": True,
        "log_config": _log_config(),
    }


def _log_config() -> dict[str, Any]:
    """uvicorn's own, with the service's log lines (models loading, first-start model
    preparation, purges) at INFO beside uvicorn's."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["confidant"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


@contextlib.contextmanager
def shared_metrics_directory(workers: int) -> Iterator[None]:
    """With more than one worker, a fresh private directory (mode 0700, in TMPDIR: /tmp
    stays writable where the root filesystem is read-only) for their metrics, named in
    the environment they inherit, and removed when the server stops. Files left by an
    earlier run would be added to this one's counters, so it is never reused."""
    if workers <= 1:
        yield
        return
    directory = tempfile.mkdtemp(prefix="confidant-metrics-")
    previous = os.environ.get(MULTIPROCESS_DIR_ENV)
    os.environ[MULTIPROCESS_DIR_ENV] = directory
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(MULTIPROCESS_DIR_ENV, None)
        else:
            os.environ[MULTIPROCESS_DIR_ENV] = previous
        shutil.rmtree(directory, ignore_errors=True)
