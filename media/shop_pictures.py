"""Draw the demo shop's product pictures (media/shop_feed.py decides which and names them).

Every kind of product is a painter over an 800x800 stage, drawn at twice that size so the
views scaled down from it are smooth and a detail cropped from it is sharp. A colour of a
product gets a front view, a side view (mirrored, turned, on another backdrop) and a detail
(a 2x crop); a product with many colours also gets one picture of its whole range. Only
shapes, gradients and Pillow's built-in font: no third-party assets, and the same bytes on
every run with the same Pillow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from generate import backdrop
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

STAGE = 800
SCALE = 2
"""Supersampling: painters draw at STAGE * SCALE pixels."""

Color = tuple[int, int, int]
Box = tuple[float, float, float, float]
Points = Sequence[tuple[float, float]]


def shade(color: Color, factor: float) -> Color:
    """Darker below 1, towards white above 1."""
    if factor <= 1:
        return (int(color[0] * factor), int(color[1] * factor), int(color[2] * factor))
    mix = min(factor - 1, 1.0)
    return (
        int(color[0] + (255 - color[0]) * mix),
        int(color[1] + (255 - color[1]) * mix),
        int(color[2] + (255 - color[2]) * mix),
    )


def luminance(color: Color) -> float:
    return 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2]


@dataclass(frozen=True)
class Look:
    """The colours of one colourway: `main` is the colour the feed names, `accent` the brand's
    detail colour, `trim` soles, zips and buckles (light on dark products, dark on light ones),
    `style` a painter's variation (hood or not, long or short), so two products of one kind
    never look the same."""

    main: Color
    accent: Color
    style: int = 0

    @property
    def trim(self) -> Color:
        return (60, 62, 68) if luminance(self.main) > 170 else (240, 240, 236)


class Pen:
    """ImageDraw in stage coordinates: scales points, boxes and widths by SCALE."""

    def __init__(self, image: Image.Image) -> None:
        self.draw = ImageDraw.Draw(image)

    @staticmethod
    def _box(box: Box) -> list[float]:
        return [v * SCALE for v in box]

    @staticmethod
    def _points(points: Points) -> list[tuple[float, float]]:
        return [(x * SCALE, y * SCALE) for x, y in points]

    def polygon(self, points: Points, fill: Color) -> None:
        self.draw.polygon(self._points(points), fill=fill)

    def line(self, points: Points, fill: Color, width: int) -> None:
        self.draw.line(self._points(points), fill=fill, width=width * SCALE, joint="curve")

    def rect(self, box: Box, fill: Color, radius: float = 0) -> None:
        self.draw.rounded_rectangle(self._box(box), radius=radius * SCALE, fill=fill)

    def ellipse(
        self, box: Box, fill: Color | None = None, outline: Color | None = None, width: int = 1
    ) -> None:
        self.draw.ellipse(self._box(box), fill=fill, outline=outline, width=width * SCALE)

    def arc(self, box: Box, start: float, end: float, fill: Color, width: int) -> None:
        self.draw.arc(self._box(box), start, end, fill=fill, width=width * SCALE)

    def pieslice(self, box: Box, start: float, end: float, fill: Color) -> None:
        self.draw.pieslice(self._box(box), start, end, fill=fill)

    def chord(self, box: Box, start: float, end: float, fill: Color) -> None:
        self.draw.chord(self._box(box), start, end, fill=fill)


Painter = Callable[[Pen, Look], None]


def shoe(pen: Pen, look: Look) -> None:
    main, dark = look.main, shade(look.main, 0.72)
    pen.rect((120, 520, 690, 585), look.trim, radius=30)
    if look.style != 2:  # trail and approach soles have lugs; the road shoe's is smooth
        for i in range(9):
            pen.rect((140 + i * 60, 578, 178 + i * 60, 602), shade(look.trim, 0.55), radius=6)
    pen.polygon(
        [
            (128, 530),
            (135, 420),
            (190, 350),
            (300, 355),
            (380, 392),
            (480, 420),
            (600, 448),
            (668, 478),
            (690, 530),
        ],
        main,
    )
    pen.polygon([(128, 530), (135, 420), (190, 350), (215, 360), (225, 530)], dark)
    pen.ellipse((195, 335, 320, 385), shade(main, 0.45))
    pen.polygon([(300, 356), (325, 318), (365, 326), (385, 394)], shade(main, 0.85))
    if look.style in (1, 3):  # rubber toe cap
        pen.polygon([(590, 446), (668, 478), (690, 530), (580, 530)], shade(look.trim, 0.5))
    for i in range(5):
        x = 330 + i * 34
        pen.line([(x, 372 + i * 8), (x + 26, 408 + i * 8)], look.trim, 8)
    pen.arc((230, 400, 520, 580), 200, 330, look.accent, 14)


def boot(pen: Pen, look: Look) -> None:
    main = look.main
    pen.rect((130, 520, 700, 600), shade(look.trim, 0.35), radius=28)
    for i in range(9):
        pen.rect((150 + i * 60, 590, 188 + i * 60, 618), shade(look.trim, 0.25), radius=6)
    top = 200 if look.style == 0 else 270
    pen.polygon(
        [(140, 530), (165, top + 40), (330, top), (380, 390), (560, 430), (680, 480), (695, 530)],
        main,
    )
    pen.rect((160, top - 20, 340, top + 40), shade(main, 0.7), radius=24)
    pen.polygon([(560, 430), (680, 480), (695, 530), (520, 530)], shade(main, 0.8))
    for i in range(6):
        y = top + 60 + i * 45
        pen.ellipse((318 + i * 8, y, 338 + i * 8, y + 20), outline=look.accent, width=5)
        pen.line([(250 + i * 6, y + 10), (330 + i * 8, y + 10)], look.accent, 7)


def sandal(pen: Pen, look: Look) -> None:
    pen.rect((130, 520, 690, 580), shade(look.trim, 0.4), radius=30)
    pen.rect((140, 500, 680, 532), (214, 190, 150), radius=16)
    for left, right, top in ((150, 310, 360), (330, 500, 330), (520, 670, 400)):
        pen.arc((left, top, right, 2 * 505 - top), 180, 360, look.main, 34)
    pen.arc((150, 360, 310, 650), 180, 230, shade(look.main, 0.7), 34)
    pen.rect((395, 315, 445, 355), look.accent, radius=6)


def shirt(pen: Pen, look: Look) -> None:
    main = look.main
    sleeve_end = 580 if look.style == 2 else 360
    pen.polygon([(250, 200), (140, 300), (200, sleeve_end), (255, sleeve_end - 30)], main)
    pen.polygon([(550, 200), (660, 300), (600, sleeve_end), (545, sleeve_end - 30)], main)
    pen.polygon([(250, 200), (330, 170), (470, 170), (550, 200), (555, 640), (245, 640)], main)
    pen.ellipse((335, 150, 465, 215), shade(main, 0.72))
    if look.style == 0:
        pen.rect((245, 330, 555, 365), look.accent)
    elif look.style == 1:  # henley
        pen.rect((388, 205, 412, 320), shade(main, 0.8))
        for y in (230, 265, 300):
            pen.ellipse((392, y - 8, 408, y + 8), look.trim)
    elif look.style == 2:
        for y in (540, 560):
            pen.line([(200, y + 10), (255, y - 20)], look.accent, 6)
    else:
        pen.ellipse((440, 260, 510, 330), look.accent)


def jacket(pen: Pen, look: Look) -> None:
    main, dark = look.main, shade(look.main, 0.75)
    style = look.style
    if style != 5:  # the vest has no sleeves
        pen.polygon([(250, 200), (140, 300), (170, 610), (235, 610), (255, 330)], dark)
        pen.polygon([(550, 200), (660, 300), (630, 610), (565, 610), (545, 330)], dark)
    if style in (0, 4):
        pen.ellipse((300, 90, 500, 250), shade(main, 0.65))
    pen.polygon([(250, 200), (330, 165), (470, 165), (550, 200), (560, 650), (240, 650)], main)
    pen.line([(400, 175), (400, 648)], look.trim, 6)
    if style == 2:  # fleece
        for y in range(230, 640, 36):
            for x in range(262, 545, 36):
                pen.ellipse((x, y, x + 6, y + 6), shade(main, 1.15))
    if style in (3, 5):  # quilted
        for y in range(250, 640, 70):
            pen.line([(244, y), (556, y)], dark, 5)
    if style == 4:  # hoodie: pocket and drawstrings
        pen.rect((290, 480, 510, 590), dark, radius=30)
        for x in (370, 430):
            pen.line([(x, 190), (x, 300)], look.trim, 6)
    else:
        for x in (275, 440):
            pen.line([(x, 480), (x + 85, 480)], look.accent, 8)
    if style == 1:
        pen.rect((440, 240, 520, 270), look.accent, radius=8)


def trousers(pen: Pen, look: Look) -> None:
    main, dark = look.main, shade(look.main, 0.75)
    hem = {1: 420, 2: 680}.get(look.style, 660)
    inner = 40 if look.style == 2 else 18
    pen.rect((250, 150, 550, 200), dark, radius=10)
    pen.polygon([(250, 195), (400, 195), (400 - inner, hem), (240, hem)], main)
    pen.polygon([(400, 195), (550, 195), (560, hem), (400 + inner, hem)], main)
    pen.line([(400, 200), (400, 300)], dark, 6)
    if look.style in (0, 3):
        pen.line([(250, 420), (390, 420)], dark, 5)
        pen.line([(410, 420), (552, 420)], dark, 5)
    if look.style == 3:  # side zips
        pen.line([(248, 470), (244, 650)], look.accent, 7)
        pen.line([(552, 470), (556, 650)], look.accent, 7)
    else:
        pen.line([(262, hem - 25), (382, hem - 25)], look.accent, 8)


def cap(pen: Pen, look: Look) -> None:
    pen.pieslice((220, 260, 580, 600), 180, 360, look.main)
    pen.polygon([(500, 420), (720, 440), (700, 470), (480, 450)], shade(look.main, 0.7))
    for x in (310, 400, 490):
        pen.line([(400, 262), (x, 430)], shade(look.main, 0.8), 4)
    pen.ellipse((385, 248, 415, 276), look.accent)
    pen.rect((320, 360, 400, 390), look.accent, radius=8)


def beanie(pen: Pen, look: Look) -> None:
    pen.pieslice((250, 220, 550, 620), 180, 360, look.main)
    pen.rect((240, 400, 560, 500), shade(look.main, 0.8), radius=18)
    for x in range(262, 550, 26):
        pen.line([(x, 408), (x, 492)], shade(look.main, 0.65), 5)
    pen.ellipse((345, 140, 455, 250), look.accent)


def socks(pen: Pen, look: Look) -> None:
    for dx, main in ((0, shade(look.main, 0.8)), (130, look.main)):
        pen.polygon(
            [
                (200 + dx, 160),
                (330 + dx, 160),
                (330 + dx, 480),
                (460 + dx, 560),
                (440 + dx, 640),
                (200 + dx, 560),
            ],
            main,
        )
        pen.rect((196 + dx, 150, 334 + dx, 210), look.accent, radius=10)
        pen.pieslice((380 + dx, 520, 480 + dx, 660), 270, 450, look.accent)
        pen.pieslice((170 + dx, 470, 290 + dx, 590), 90, 180, look.accent)
        if look.style == 1:  # compression: bands down the leg
            for y in (260, 330, 400):
                pen.line([(200 + dx, y), (330 + dx, y)], look.trim, 6)


def backpack(pen: Pen, look: Look) -> None:
    main, dark = look.main, shade(look.main, 0.8)
    if look.style == 1:  # running vest: two panels with soft flasks
        for x in (200, 430):
            pen.rect((x, 180, x + 170, 620), main, radius=60)
            pen.rect((x + 40, 330, x + 130, 520), (200, 225, 240), radius=30)
            pen.rect((x + 60, 300, x + 110, 340), look.accent, radius=8)
        pen.line([(370, 420), (430, 420)], look.trim, 10)
        pen.line([(370, 480), (430, 480)], look.trim, 10)
        return
    pen.arc((310, 120, 490, 260), 180, 360, dark, 22)
    pen.rect((250, 190, 550, 630), main, radius=80)
    pen.rect((290, 410, 510, 600), dark, radius=40)
    pen.line([(300, 410), (500, 410)], look.accent, 8)
    pen.rect((375, 440, 425, 470), look.accent, radius=6)
    pen.rect((215, 380, 250, 560), dark, radius=12)
    pen.rect((550, 380, 585, 560), dark, radius=12)


def waist_bag(pen: Pen, look: Look) -> None:
    pen.rect((80, 415, 720, 455), shade(look.trim, 0.35), radius=12)
    pen.rect((230, 330, 570, 530), look.main, radius=80)
    pen.arc((260, 350, 540, 470), 200, 340, look.accent, 8)
    pen.rect((640, 405, 700, 465), look.trim, radius=8)


def bottle(pen: Pen, look: Look) -> None:
    if look.style == 1:  # soft flask
        pen.rect((300, 260, 500, 640), look.main, radius=100)
        pen.rect((360, 200, 440, 270), shade(look.main, 0.7), radius=14)
        pen.rect((380, 150, 420, 205), look.accent, radius=12)
        for y in (360, 440, 520):
            pen.line([(330, y), (470, y)], shade(look.main, 1.3), 4)
        return
    pen.rect((310, 240, 490, 650), look.main, radius=60)
    pen.rect((355, 180, 445, 250), shade(look.main, 0.85), radius=10)
    pen.rect((340, 120, 460, 190), look.trim, radius=24)
    pen.rect((310, 400, 490, 470), look.accent)
    pen.line([(450, 270), (450, 620)], shade(look.main, 1.35), 10)


def mug(pen: Pen, look: Look) -> None:
    main = look.main
    pen.ellipse((470, 330, 640, 510), outline=shade(main, 0.85), width=34)
    pen.rect((200, 260, 520, 600), main)
    pen.ellipse((200, 230, 520, 290), shade(main, 1.2))
    pen.ellipse((220, 240, 500, 280), shade(main, 0.4))
    pen.ellipse((200, 570, 520, 630), main)
    if look.style == 1:  # enamel: a dark rim and speckles
        pen.ellipse((200, 230, 520, 290), outline=look.accent, width=10)
        for i in range(18):
            x, y = 220 + (i * 67) % 280, 320 + (i * 41) % 250
            pen.ellipse((x, y, x + 8, y + 8), shade(main, 0.6))
    else:
        for i in range(6):
            pen.line([(230 + i * 50, 330), (250 + i * 50, 560)], shade(main, 1.3), 5)


def glasses(pen: Pen, look: Look) -> None:
    lens = (55, 60, 75)
    for x in (170, 420):
        pen.ellipse((x, 320, x + 210, 480), lens)
        pen.ellipse((x, 320, x + 210, 480), outline=look.main, width=16)
        pen.arc((x + 30, 340, x + 150, 420), 200, 260, (150, 170, 200), 8)
    pen.arc((370, 350, 430, 420), 200, 340, look.main, 14)
    pen.line([(175, 360), (100, 330)], look.main, 14)
    pen.line([(625, 360), (700, 330)], look.main, 14)
    pen.rect((90, 320, 130, 345), look.accent, radius=8)


def headlamp(pen: Pen, look: Look) -> None:
    pen.ellipse((170, 230, 630, 590), outline=look.main, width=44)
    pen.rect((310, 490, 490, 620), shade(look.trim, 0.45), radius=28)
    pen.ellipse((355, 510, 445, 600), (255, 240, 170))
    pen.rect((460, 505, 485, 530), look.accent, radius=6)


def poles(pen: Pen, look: Look) -> None:
    for top, bottom in (((320, 150), (260, 660)), ((480, 150), (540, 660))):
        pen.line([top, bottom], (170, 174, 180), 14)
        x, y = top
        pen.rect((x - 22, y - 10, x + 22, y + 140), look.main, radius=16)
        pen.arc((x - 50, y - 40, x + 50, y + 60), 180, 360, look.accent, 8)
        bx = bottom[0] + (-8 if bottom[0] < 400 else 8)
        pen.ellipse((bx - 35, 585, bx + 35, 610), shade(look.trim, 0.3))


def gloves(pen: Pen, look: Look) -> None:
    for dx, main in ((0, shade(look.main, 0.8)), (220, look.main)):
        pen.rect((200 + dx, 330, 380 + dx, 560), main, radius=40)
        for i in range(4):
            x = 205 + dx + i * 44
            pen.rect((x, 200 + abs(i - 1.5) * 18, x + 38, 380), main, radius=18)
        pen.polygon([(200 + dx, 420), (140 + dx, 330), (170 + dx, 310), (230 + dx, 380)], main)
        pen.rect((190 + dx, 540, 390 + dx, 620), look.accent, radius=12)


def sleeping_mat(pen: Pen, look: Look) -> None:
    pen.rect((240, 300, 640, 520), look.main)
    pen.ellipse((160, 300, 320, 520), shade(look.main, 0.8))
    for r in (60, 40, 20):
        pen.arc((240 - r, 410 - r * 1.4, 240 + r, 410 + r * 1.4), 0, 360, shade(look.main, 0.6), 5)
    for x in (340, 540):
        pen.rect((x, 292, x + 30, 528), look.trim, radius=6)
    pen.rect((600, 400, 650, 430), look.accent, radius=6)


def sleeping_bag(pen: Pen, look: Look) -> None:
    pen.polygon([(300, 200), (500, 200), (560, 350), (470, 660), (330, 660), (240, 350)], look.main)
    pen.ellipse((310, 150, 490, 290), shade(look.main, 0.72))
    pen.ellipse((350, 185, 450, 265), shade(look.trim, 0.3))
    for y in range(340, 640, 55):
        pen.arc((250, y - 40, 550, y + 40), 20, 160, shade(look.main, 0.8), 5)
    pen.line([(470, 270), (440, 640)], look.accent, 7)


def tent(pen: Pen, look: Look) -> None:
    pen.pieslice((110, 260, 690, 840), 180, 360, look.main)
    pen.chord((270, 380, 530, 800), 180, 360, shade(look.main, 0.6))
    pen.arc((160, 300, 640, 820), 190, 350, look.accent, 8)
    pen.line([(110, 550), (60, 600)], (120, 120, 120), 3)
    pen.line([(690, 550), (740, 600)], (120, 120, 120), 3)


def neck_gaiter(pen: Pen, look: Look) -> None:
    pen.rect((290, 200, 510, 620), look.main, radius=40)
    pen.ellipse((290, 170, 510, 230), shade(look.main, 0.7))
    for i in range(7):
        y = 250 + i * 55
        pen.line([(300, y + 40), (500, y - 20)], look.accent, 10)
    pen.rect((290, 600, 510, 640), shade(look.main, 0.85), radius=16)


def first_aid(pen: Pen, look: Look) -> None:
    pen.arc((320, 200, 480, 330), 180, 360, shade(look.main, 0.7), 20)
    pen.rect((200, 260, 600, 600), look.main, radius=50)
    pen.rect((370, 340, 430, 520), (250, 250, 250))
    pen.rect((310, 400, 490, 460), (250, 250, 250))
    pen.line([(210, 285), (590, 285)], look.accent, 8)


def compass(pen: Pen, look: Look) -> None:
    pen.rect((250, 150, 550, 650), (225, 232, 236), radius=30)
    for y in range(180, 300, 20):
        pen.line([(262, y), (282, y)], (60, 60, 70), 3)
    pen.ellipse((280, 310, 520, 550), look.main)
    pen.ellipse((300, 330, 500, 530), (240, 240, 230))
    pen.polygon([(400, 345), (385, 430), (415, 430)], (210, 40, 40))
    pen.polygon([(400, 515), (385, 430), (415, 430)], (240, 240, 240))
    pen.ellipse((392, 422, 408, 438), look.accent)
    pen.arc((430, 60, 620, 200), 90, 250, look.accent, 6)


PAINTERS: dict[str, Painter] = {
    "shoe": shoe,
    "boot": boot,
    "sandal": sandal,
    "shirt": shirt,
    "jacket": jacket,
    "trousers": trousers,
    "cap": cap,
    "beanie": beanie,
    "socks": socks,
    "backpack": backpack,
    "waist-bag": waist_bag,
    "bottle": bottle,
    "mug": mug,
    "glasses": glasses,
    "headlamp": headlamp,
    "poles": poles,
    "gloves": gloves,
    "sleeping-mat": sleeping_mat,
    "sleeping-bag": sleeping_bag,
    "tent": tent,
    "neck-gaiter": neck_gaiter,
    "first-aid": first_aid,
    "compass": compass,
}


def cutout(kind: str, look: Look) -> Image.Image:
    """The product alone on a transparent stage, at SCALE."""
    layer = Image.new("RGBA", (STAGE * SCALE, STAGE * SCALE), (0, 0, 0, 0))
    PAINTERS[kind](Pen(layer), look)
    return layer


def staged(layer: Image.Image, backdrop_colors: tuple[Color, Color]) -> Image.Image:
    """The cut-out on a studio backdrop with a soft floor shadow, still at SCALE."""
    image = backdrop(*backdrop_colors, size=layer.size)
    box = layer.getbbox()
    if box is not None:
        left, _, right, bottom = box
        # blurred at a quarter of the size: the same soft shadow, sixteen times less work
        q = 4
        shadow = Image.new("L", (layer.width // q, layer.height // q), 0)
        box = ((left + 20) / q, (bottom - 30) / q, (right - 20) / q, (bottom + 30) / q)
        ImageDraw.Draw(shadow).ellipse(box, 110)
        shadow = shadow.filter(ImageFilter.GaussianBlur(18 * SCALE / q))
        image.paste((40, 40, 50), mask=shadow.resize(layer.size, Image.Resampling.BILINEAR))
    image.paste(layer, (0, 0), layer)
    return image


def brand_mark(image: Image.Image, brand: str) -> None:
    ImageDraw.Draw(image).text(
        (32, STAGE - 56), brand.upper(), fill=(90, 90, 100), font=ImageFont.load_default(size=26)
    )


def front(layer: Image.Image, backdrop_colors: tuple[Color, Color], brand: str) -> Image.Image:
    image = staged(layer, backdrop_colors).resize((STAGE, STAGE), Image.Resampling.LANCZOS)
    brand_mark(image, brand)
    return image


def side(layer: Image.Image, backdrop_colors: tuple[Color, Color]) -> Image.Image:
    """Mirrored, turned 8 degrees and set back a little, on another backdrop."""
    small = ImageOps.mirror(layer).resize((int(layer.width * 0.86),) * 2, Image.Resampling.LANCZOS)
    small = small.rotate(8, resample=Image.Resampling.BICUBIC)
    stage = Image.new("RGBA", layer.size, (0, 0, 0, 0))
    offset = (layer.width - small.width) // 2
    stage.paste(small, (offset, offset + 40 * SCALE))
    return staged(stage, backdrop_colors).resize((STAGE, STAGE), Image.Resampling.LANCZOS)


FOCUS = {
    "shoe": (420, 450),
    "boot": (330, 420),
    "sandal": (420, 430),
    "shirt": (420, 300),
    "jacket": (420, 420),
    "trousers": (400, 300),
    "backpack": (400, 460),
    "bottle": (400, 330),
    "mug": (380, 380),
}
"""Where a kind's detail view looks, in stage coordinates; others: the middle of the product."""


def detail(kind: str, layer: Image.Image, backdrop_colors: tuple[Color, Color]) -> Image.Image:
    """A 1.6x crop around the product's most telling part."""
    image = staged(layer, backdrop_colors)
    box = layer.getbbox() or (0, 0, layer.width, layer.height)
    middle = ((box[0] + box[2]) / 2 / SCALE, (box[1] + box[3]) / 2 / SCALE)
    x, y = FOCUS.get(kind, middle)
    half = STAGE * SCALE / 1.6 / 2
    cx = min(max(x * SCALE, half), image.width - half)
    cy = min(max(y * SCALE, half), image.height - half)
    crop = image.crop((int(cx - half), int(cy - half), int(cx + half), int(cy + half)))
    return crop.resize((STAGE, STAGE), Image.Resampling.LANCZOS)


def colour_views(
    kind: str, look: Look, count: int, backdrops: tuple[tuple[Color, Color], ...], brand: str
) -> list[Image.Image]:
    """The first `count` (1-3) of front, side and detail for one colourway, 800x800 RGB.
    `backdrops` gives the front's and detail's backdrop first, the side view's second."""
    layer = cutout(kind, look)
    views = [front(layer, backdrops[0], brand), side(layer, backdrops[1])]
    views.append(detail(kind, layer, backdrops[0]))
    return views[:count]


def range_view(
    kind: str, looks: Sequence[Look], backdrop_colors: tuple[Color, Color], brand: str
) -> Image.Image:
    """Every colourway of a product side by side, in two rows past three."""
    per_row = len(looks) if len(looks) <= 3 else (len(looks) + 1) // 2
    rows = (len(looks) + per_row - 1) // per_row
    cell = STAGE * SCALE // max(per_row, rows + 1)
    stage = Image.new("RGBA", (STAGE * SCALE, STAGE * SCALE), (0, 0, 0, 0))
    top = (STAGE * SCALE - rows * cell) // 2
    for index, look in enumerate(looks):
        row, col = divmod(index, per_row)
        in_row = min(per_row, len(looks) - row * per_row)
        left = (STAGE * SCALE - in_row * cell) // 2 + col * cell
        small = cutout(kind, look).resize((cell, cell), Image.Resampling.LANCZOS)
        stage.alpha_composite(small, (left, top + row * cell))
    image = staged(stage, backdrop_colors).resize((STAGE, STAGE), Image.Resampling.LANCZOS)
    brand_mark(image, brand)
    return image
