"""Reads the SPEC §7 frame barcode from an image the server returned.

The top band (height max(32, H/8)) of a frame is split into 16 equal cells, left to right; cell i
is white when bit (15 - i) of index mod 65536 is set. Sampling the centre of each cell with a
threshold of 128 reads it back, also after JPEG compression and downscaling (the band scales with
the picture, so max(32, H/8) is taken from the *original* height when known).
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

MODULUS = 65536


def luma(jpeg: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(jpeg)).convert("L"))


def read_barcode(jpeg: bytes, source_height: int | None = None) -> int:
    """The index drawn in the frame, mod 65536.

    source_height: the height the barcode was drawn at, when the image was downscaled since;
    the band is then scaled by the same factor. Raises ValueError on an unreadable band.
    """
    y = luma(jpeg)
    h, w = y.shape
    drawn_h = source_height or h
    band = max(32, drawn_h // 8) * h / drawn_h
    row = min(h - 1, int(band / 2))
    value = 0
    for i in range(16):
        x = min(w - 1, int((i + 0.5) * w / 16))
        # Average a small neighbourhood of the centre: robust to JPEG ringing at low quality.
        r0, r1 = max(0, row - 1), min(h, row + 2)
        c0, c1 = max(0, x - 1), min(w, x + 2)
        v = float(y[r0:r1, c0:c1].mean())
        if 80 < v < 170:
            raise ValueError(f"barcode cell {i} is ambiguous (luma {v:.0f})")
        value = value * 2 + (1 if v >= 128 else 0)
    return value


def image_size(jpeg: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(jpeg)) as im:
        return im.size


def diff(a: int, b: int) -> int:
    """(b - a) mod 65536: how many frames b is after a."""
    return (b - a) % MODULUS
