"""Generated avatars: symmetric identicons drawn with Pillow (PRODUCT.md A1)."""

import colorsys
import io
import random
import secrets

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw

AVATAR_SIZE = 256
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
