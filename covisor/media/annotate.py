"""An annotated picture: a shown image with its strokes drawn on it, as a PNG.

Drawn on the server from the stored strokes, so the evidence a shopper keeps for a return (or an
agent files) is the same picture on every device. Coordinates are normalised to the image
(`0..1` of width and height) and a stroke's width is a fraction of the image's width, as the
clients draw them; lines get round caps and joins. Pure and synchronous: run it in the worker
pool (`BoundedExecutor.run`), never on the event loop.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageOps


@dataclass(frozen=True)
class Line:
    """One stroke to draw: `#rrggbb`, width as a fraction of the image's width, points."""

    color: str
    width: float
    points: Sequence[tuple[float, float]]


def render_annotated(source: Path, lines: Sequence[Line]) -> bytes:
    """`source` (a processed, upright picture) with `lines` drawn on it, encoded as PNG."""
    with Image.open(source) as opened:
        image = ImageOps.exif_transpose(opened).convert("RGBA")
    width, height = image.size
    draw = ImageDraw.Draw(image)
    for line in lines:
        thickness = max(1, round(line.width * width))
        points = [(x * width, y * height) for x, y in line.points]
        if not points:
            continue
        if len(points) > 1:
            draw.line(points, fill=line.color, width=thickness, joint="curve")
        radius = thickness / 2
        for x, y in (points[0], points[-1]) if len(points) > 1 else points:
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=line.color)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False, compress_level=6)
    return out.getvalue()
