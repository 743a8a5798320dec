"""How sharp a picture is: the variance of its Laplacian.

The Laplacian responds to edges; a blurred photo has weak edges, so the variance of the
Laplacian over the image is low. The score depends on resolution (downscaling concentrates
detail), so it is always measured on a grayscale copy fitted to the same long side
(`SCORE_SIDE`), which makes scores of a 12 MP and a 48 MP photo comparable and keeps the cost
to a few milliseconds. How the `blurry` threshold was chosen is in docs/MEDIA.md.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

SCORE_SIDE = 1024
"""Long side, in pixels, of the grayscale copy the score is measured on."""

BLUR_THRESHOLD = 30.0
"""Scores below this are flagged `blurry` (chosen on the calibration set in docs/MEDIA.md)."""


def sharpness(image: Image.Image) -> float:
    """The variance of the Laplacian of `image` in grayscale at `SCORE_SIDE` (higher = sharper).

    Images smaller than `SCORE_SIDE` are measured as they are.
    """
    gray = np.asarray(image.convert("L"))
    height, width = gray.shape
    scale = SCORE_SIDE / max(width, height)
    if scale < 1:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(gray, cv2.CV_32F).var())
