"""Draw the demo catalogue: five product pictures, one short video, and catalogue.json.

Run `python media/generate.py` from the repository root; it rewrites the files beside this
script. Everything is drawn here from shapes, gradients and Pillow's built-in font, so the demo
has no third-party assets. The pictures are byte-identical from run to run; the WebM differs
only in its container IDs.

The demo shop's Google product feed and its pictures (media/shop/) are drawn by
media/shop_feed.py, which reuses `backdrop` from here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

HERE = Path(__file__).resolve().parent
SIZE = (1200, 900)
VIDEO_SIZE = (640, 360)
VIDEO_FPS = 25
VIDEO_SECONDS = 5

Color = tuple[int, int, int]
Painter = Callable[[ImageDraw.ImageDraw], None]


def backdrop(top: Color, bottom: Color, size: tuple[int, int] = SIZE) -> Image.Image:
    """A vertical studio gradient with a soft floor shadow band."""
    width, height = size
    t = np.linspace(0.0, 1.0, height)[:, None, None]
    rows = (1 - t) * np.array(top, float) + t * np.array(bottom, float)
    pixels = np.broadcast_to(rows, (height, width, 3)).astype(np.uint8)
    return Image.fromarray(np.ascontiguousarray(pixels), "RGB")


def with_shadow(image: Image.Image, box: tuple[int, int, int, int]) -> None:
    """A blurred elliptical shadow under a product standing on the floor."""
    shadow = Image.new("L", image.size, 0)
    ImageDraw.Draw(shadow).ellipse(box, fill=120)
    shadow = shadow.filter(ImageFilter.GaussianBlur(18))
    image.paste((40, 40, 50), mask=shadow)


def label(image: Image.Image, title: str, price: str) -> None:
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((40, 40, 560, 150), radius=18, fill=(255, 255, 255))
    draw.text((64, 52), title, fill=(30, 30, 40), font=ImageFont.load_default(size=44))
    draw.text((64, 104), price, fill=(200, 60, 40), font=ImageFont.load_default(size=32))


def sneaker(draw: ImageDraw.ImageDraw) -> None:
    draw.rounded_rectangle((250, 560, 950, 640), radius=36, fill=(245, 245, 245))
    draw.polygon(
        [(270, 570), (330, 400), (560, 360), (700, 440), (930, 500), (940, 570)],
        fill=(40, 110, 200),
    )
    draw.polygon([(560, 360), (640, 300), (700, 320), (700, 440)], fill=(30, 80, 160))
    draw.line([(300, 600), (920, 600)], fill=(200, 200, 200), width=6)
    for i in range(5):
        x = 520 + i * 36
        draw.line([(x, 390 + i * 8), (x + 40, 420 + i * 8)], fill=(255, 255, 255), width=8)
    draw.arc((380, 430, 620, 560), 200, 340, fill=(250, 200, 40), width=14)


def mug(draw: ImageDraw.ImageDraw) -> None:
    draw.ellipse((690, 400, 880, 580), outline=(190, 70, 60), width=34)
    draw.rectangle((380, 330, 740, 660), fill=(210, 80, 70))
    draw.ellipse((380, 300, 740, 360), fill=(230, 110, 100))
    draw.ellipse((400, 310, 720, 350), fill=(90, 50, 30))
    draw.ellipse((380, 630, 740, 690), fill=(210, 80, 70))
    for i in range(6):
        draw.line([(420 + i * 50, 420), (440 + i * 50, 600)], fill=(235, 140, 120), width=5)


def lamp(draw: ImageDraw.ImageDraw) -> None:
    draw.ellipse((430, 650, 770, 700), fill=(60, 60, 70))
    draw.line([(600, 670), (520, 420)], fill=(80, 80, 90), width=22)
    draw.line([(520, 420), (700, 260)], fill=(80, 80, 90), width=18)
    draw.polygon([(640, 200), (820, 250), (790, 380), (610, 320)], fill=(240, 190, 50))
    draw.ellipse((660, 330, 760, 380), fill=(255, 245, 200))
    draw.ellipse((505, 405, 535, 435), fill=(40, 40, 45))


def backpack(draw: ImageDraw.ImageDraw) -> None:
    draw.rounded_rectangle((400, 260, 800, 700), radius=90, fill=(70, 130, 90))
    draw.rounded_rectangle((450, 470, 750, 670), radius=40, fill=(60, 115, 80))
    draw.arc((500, 190, 700, 330), 180, 360, fill=(50, 90, 60), width=22)
    draw.line([(460, 470), (740, 470)], fill=(230, 210, 120), width=8)
    draw.rectangle((575, 500, 625, 530), fill=(230, 210, 120))


def headphones(draw: ImageDraw.ImageDraw) -> None:
    draw.arc((380, 220, 820, 640), 180, 360, fill=(45, 45, 55), width=40)
    for x in (340, 740):
        draw.rounded_rectangle((x, 400, x + 120, 610), radius=50, fill=(45, 45, 55))
        draw.rounded_rectangle((x + 20, 420, x + 100, 590), radius=36, fill=(120, 90, 200))


@dataclass(frozen=True)
class Product:
    id: str
    title: str
    price: str
    description: str
    paint: Painter
    backdrop: tuple[Color, Color]


PRODUCTS = [
    Product(
        "trail-sneaker",
        "Trail sneaker",
        "89.00",
        "Light trail running shoe with a grippy sole and reflective laces.",
        sneaker,
        ((225, 235, 245), (170, 185, 205)),
    ),
    Product(
        "stoneware-mug",
        "Stoneware mug",
        "18.50",
        "Hand-glazed 350 ml mug; dishwasher and microwave safe.",
        mug,
        ((250, 238, 225), (210, 190, 170)),
    ),
    Product(
        "desk-lamp",
        "Desk lamp",
        "64.00",
        "Adjustable arm, warm 2700 K LED, weighted base.",
        lamp,
        ((60, 64, 80), (25, 26, 34)),
    ),
    Product(
        "city-backpack",
        "City backpack",
        "120.00",
        "22 l, water-repellent, padded laptop sleeve up to 15 inches.",
        backpack,
        ((232, 240, 228), (180, 196, 176)),
    ),
    Product(
        "studio-headphones",
        "Studio headphones",
        "149.00",
        "Closed-back over-ear headphones with a detachable cable.",
        headphones,
        ((238, 232, 250), (190, 180, 215)),
    ),
]


def draw_product(product: Product) -> Image.Image:
    image = backdrop(*product.backdrop)
    with_shadow(image, (300, 640, 900, 720))
    product.paint(ImageDraw.Draw(image))
    label(image, product.title, f"EUR {product.price}")
    return image


def turntable_video(path: Path) -> None:
    """The mug turning on a turntable: 5 s, 640x360, VP9 WebM (plays in every browser)."""
    width, height = VIDEO_SIZE
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"VP90"), VIDEO_FPS, VIDEO_SIZE)
    if not writer.isOpened():
        raise SystemExit("this OpenCV build cannot write VP9 WebM")
    base = np.asarray(backdrop((250, 238, 225), (200, 180, 160), VIDEO_SIZE))
    frames = VIDEO_FPS * VIDEO_SECONDS
    for index in range(frames):
        angle = 2 * math.pi * index / frames
        frame = Image.fromarray(base.copy())
        draw = ImageDraw.Draw(frame)
        draw.ellipse((170, 270, 470, 320), fill=(120, 110, 100))
        handle = 320 + int(150 * math.sin(angle))
        behind = math.cos(angle) < 0
        if behind:
            draw.ellipse((handle - 40, 150, handle + 40, 240), outline=(170, 60, 50), width=16)
        draw.rectangle((240, 110, 400, 290), fill=(210, 80, 70))
        draw.ellipse((240, 95, 400, 125), fill=(230, 110, 100))
        draw.ellipse((240, 275, 400, 305), fill=(210, 80, 70))
        for stripe in range(4):
            x = 250 + int((stripe * 40 + index * 4) % 150)
            draw.line([(x, 135), (x + 8, 280)], fill=(235, 140, 120), width=4)
        if not behind:
            draw.ellipse((handle - 40, 150, handle + 40, 240), outline=(190, 70, 60), width=16)
        draw.text(
            (20, 16),
            "Stoneware mug - 360 view",
            fill=(60, 40, 30),
            font=ImageFont.load_default(size=22),
        )
        writer.write(cv2.cvtColor(np.asarray(frame), cv2.COLOR_RGB2BGR))
    writer.release()


def main() -> None:
    items: list[dict[str, str]] = []
    for product in PRODUCTS:
        name = f"{product.id}.jpg"
        draw_product(product).save(HERE / name, "JPEG", quality=85, optimize=True)
        items.append(
            {
                "id": product.id,
                "title": product.title,
                "kind": "image",
                "file": name,
                "description": product.description,
                "price": product.price,
            }
        )
    turntable_video(HERE / "mug-turntable.webm")
    items.append(
        {
            "id": "mug-turntable",
            "title": "Stoneware mug (360° video)",
            "kind": "video",
            "file": "mug-turntable.webm",
            "description": "The stoneware mug on a turntable.",
            "price": "18.50",
        }
    )
    catalogue = {"currency": "EUR", "items": items}
    (HERE / "catalogue.json").write_text(json.dumps(catalogue, indent=2, ensure_ascii=False) + "\n")
    total = sum((HERE / item["file"]).stat().st_size for item in items)
    print(f"wrote {len(items)} items, {total / 1024:.0f} KiB of media, to {HERE}")


if __name__ == "__main__":
    main()
