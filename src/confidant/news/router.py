"""HTTP for the health news feed (placeholder until the news package lands)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["news"])
