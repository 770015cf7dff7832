"""QR code rendering with segno."""

from __future__ import annotations

import io
from typing import Literal

import segno

QrFormat = Literal["png", "svg"]
CONTENT_TYPES: dict[str, str] = {"png": "image/png", "svg": "image/svg+xml"}


def render_qr(content: str, fmt: QrFormat) -> tuple[bytes, str]:
    """The QR code of `content` as PNG or SVG bytes, with its content type."""
    code = segno.make(content, error="m", micro=False)
    buffer = io.BytesIO()
    code.save(buffer, kind=fmt, scale=8 if fmt == "png" else 4, border=4)
    return buffer.getvalue(), CONTENT_TYPES[fmt]
