"""Avatar images: checked by decoding, re-encoded so no metadata (EXIF, GPS) is kept."""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

from confidant.kit.errors import InvalidInput, UnsupportedMediaType

ALLOWED_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
MAX_PIXELS = 4096 * 4096


def clean_image(data: bytes) -> tuple[bytes, str]:
    """Decode `data` as PNG, JPEG or WebP and re-encode it; anything else is 415."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format or ""
            if fmt not in ALLOWED_FORMATS:
                raise UnsupportedMediaType(
                    "Avatar must be a PNG, JPEG or WebP image",
                    details={"detected": fmt or None},
                )
            if probe.width * probe.height > MAX_PIXELS:
                raise InvalidInput("Avatar is larger than 4096x4096 pixels")
            probe.load()
            image = probe.copy()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise UnsupportedMediaType("Avatar is not a readable PNG, JPEG or WebP image") from exc
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    output = io.BytesIO()
    image.save(output, format=fmt)
    return output.getvalue(), ALLOWED_FORMATS[fmt]
