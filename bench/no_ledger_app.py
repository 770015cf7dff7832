"""Confidant without the ledger's API-call middleware: bench/ledger.py's baseline."""

from __future__ import annotations

from fastapi import FastAPI

from confidant.ledger.middleware import LedgerMiddleware
from confidant.main import create_app as create_confidant_app


def create_app() -> FastAPI:
    app = create_confidant_app()
    app.user_middleware = [m for m in app.user_middleware if m.cls is not LedgerMiddleware]
    return app
