"""Draw the agent console's app icons (client/icons/icon-192.png, icon-512.png) with Pillow.

The committed PNGs are this script's output; run it again after changing the colours:
`.venv/bin/python scripts/make_icons.py`. Full-bleed background with the mark inside the
central 60%, so the same files serve as `maskable` icons (any crop of the safe zone keeps it).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

ACCENT = "#2f5fd0"  # --cv-accent of client/shared/covisor.css
ON_ACCENT = "#ffffff"
SIZES = (192, 512)
OUT = Path(__file__).resolve().parent.parent / "client" / "icons"


def draw(size: int) -> Image.Image:
    scale = 4  # drawn large, then scaled down: smooth edges without antialiasing support
    s = size * scale
    image = Image.new("RGB", (s, s), ACCENT)
    pen = ImageDraw.Draw(image)
    # A speech bubble (the chat) …
    left, top, right, bottom = s * 0.24, s * 0.26, s * 0.76, s * 0.64
    pen.rounded_rectangle((left, top, right, bottom), radius=s * 0.08, fill=ON_ACCENT)
    pen.polygon(
        [(s * 0.34, bottom - 1), (s * 0.46, bottom - 1), (s * 0.32, s * 0.76)], fill=ON_ACCENT
    )
    # … with an eye in it (the shared view).
    cx, cy = s * 0.5, (top + bottom) / 2
    pen.ellipse((cx - s * 0.17, cy - s * 0.09, cx + s * 0.17, cy + s * 0.09), fill=ACCENT)
    pen.ellipse((cx - s * 0.06, cy - s * 0.06, cx + s * 0.06, cy + s * 0.06), fill=ON_ACCENT)
    pen.ellipse((cx - s * 0.025, cy - s * 0.025, cx + s * 0.025, cy + s * 0.025), fill=ACCENT)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        draw(size).save(OUT / f"icon-{size}.png", optimize=True)


if __name__ == "__main__":
    main()
