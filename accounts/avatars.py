"""Avatars: generated identicons (A1) and uploaded images made safe (A3)."""

import colorsys
import io
import random
import secrets
import warnings
from typing import IO

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw, ImageOps

AVATAR_SIZE = 256
# Uploads (A3). The limits are the product's, not a deployment's.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_UPLOAD_SIDE = 4096

# Decoding allocates width x height x 4 bytes; nothing larger than the
# largest avatar allowed is ever decoded (Pillow warns past this, which
# ``avatar_from_upload`` treats as an error, and refuses past twice this).
Image.MAX_IMAGE_PIXELS = MAX_UPLOAD_SIDE * MAX_UPLOAD_SIDE
_GRID = 5
_MARGIN = 16


def identicon_png(seed: str) -> bytes:
    """Return a 256 px PNG identicon that is the same for the same seed.

    The left half of a 5x5 grid is filled at random and mirrored onto the
    right half, which is what makes identicons read as faces and shapes
    rather than noise. Saturation and lightness are held in a band that
    stays legible on both light and dark backgrounds.
    """
    rng = random.Random(seed)
    hue = rng.random()
    red, green, blue = colorsys.hls_to_rgb(
        hue, rng.uniform(0.45, 0.6), rng.uniform(0.55, 0.8)
    )
    colour = (int(red * 255), int(green * 255), int(blue * 255))

    cells = [[False] * _GRID for _ in range(_GRID)]
    for row in range(_GRID):
        for col in range((_GRID + 1) // 2):
            filled = rng.random() < 0.5
            cells[row][col] = filled
            cells[row][_GRID - 1 - col] = filled
    # A blank identicon says nothing about its owner; light the centre.
    if not any(any(row) for row in cells):
        cells[_GRID // 2][_GRID // 2] = True

    image = Image.new("RGB", (AVATAR_SIZE, AVATAR_SIZE), (240, 240, 240))
    draw = ImageDraw.Draw(image)
    cell = (AVATAR_SIZE - 2 * _MARGIN) // _GRID
    offset = (AVATAR_SIZE - cell * _GRID) // 2
    for row in range(_GRID):
        for col in range(_GRID):
            if cells[row][col]:
                left, top = offset + col * cell, offset + row * cell
                draw.rectangle(
                    (left, top, left + cell - 1, top + cell - 1), fill=colour
                )

    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def random_identicon() -> ContentFile:
    """Return a new identicon from a fresh random seed, with a fresh file name."""
    seed = secrets.token_hex(16)
    return ContentFile(identicon_png(seed), name=f"{secrets.token_hex(12)}.png")


# What a file must start with to be opened at all; Pillow then only tries
# the decoder of the format its header names.
_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"GIF87a": "GIF",
    b"GIF89a": "GIF",
}
_DECODERS = {"PNG": ["PNG"], "JPEG": ["JPEG", "MPO"], "GIF": ["GIF"], "WEBP": ["WEBP"]}


class AvatarError(Exception):
    """An upload that cannot become an avatar; the message says why."""


def _format_of(head: bytes) -> str:
    for signature, name in _SIGNATURES.items():
        if head.startswith(signature):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    raise AvatarError("That file is not a PNG, JPEG, GIF or WebP image.")


def avatar_from_upload(upload: IO[bytes], size: int) -> ContentFile:
    """Turn an uploaded file into a 256 px square WebP avatar with a fresh
    name, or raise AvatarError.

    The caller has held at most ``MAX_UPLOAD_BYTES`` of it in memory (see
    ``accounts.uploads``). The format comes from the file's first bytes,
    never its name, and the size in pixels from its header, before a
    single pixel is decoded: a small file that would decode to gigabytes
    (a decompression bomb) is refused here. Only the first frame of an
    animation is kept, and nothing of the original but its pixels: no
    EXIF, no location, no colour profile, no comments.
    """
    if size > MAX_UPLOAD_BYTES:
        raise AvatarError("That image is larger than 5 MB.")
    upload.seek(0)
    decoders = _DECODERS[_format_of(upload.read(16))]
    try:
        with warnings.catch_warnings():
            # Pillow warns, rather than refuses, past MAX_IMAGE_PIXELS.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upload.seek(0)
            with Image.open(upload, formats=decoders) as image:
                width, height = image.size
                if width > MAX_UPLOAD_SIDE or height > MAX_UPLOAD_SIDE:
                    raise AvatarError(
                        f"That image is {width}x{height} pixels; "
                        f"avatars can be at most {MAX_UPLOAD_SIDE}x{MAX_UPLOAD_SIDE}."
                    )
                image.verify()
            # verify() leaves the image unusable; decode a fresh copy.
            upload.seek(0)
            with Image.open(upload, formats=decoders) as image:
                image.seek(0)
                image.draft("RGB", (AVATAR_SIZE * 2, AVATAR_SIZE * 2))
                square = ImageOps.fit(
                    ImageOps.exif_transpose(image).convert("RGBA"),
                    (AVATAR_SIZE, AVATAR_SIZE),
                    Image.Resampling.LANCZOS,
                )
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise AvatarError(
            "That image has far too many pixels; "
            f"avatars can be at most {MAX_UPLOAD_SIDE}x{MAX_UPLOAD_SIDE}."
        ) from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise AvatarError(
            "That image could not be read; it may be damaged or cut short."
        ) from None

    # A new image holds the pixels and nothing else of the upload.
    clean = Image.new("RGBA", square.size)
    clean.paste(square)
    buffer = io.BytesIO()
    clean.save(buffer, format="WEBP", quality=85, method=4)
    return ContentFile(buffer.getvalue(), name=f"{secrets.token_hex(12)}.webp")
