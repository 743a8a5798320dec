"""Write the demo shop: its Google product feed, products.json and every product picture.

Run `python media/shop_feed.py` from the repository root; it rewrites media/shop/ (feed.xml,
products.json, images/*.jpg) from media/shop_catalogue.py, drawing with media/shop_pictures.py.
The output is byte-identical from run to run.

feed.xml is a Google Merchant Center feed (RSS 2.0, `g:` = http://base.google.com/ns/1.0):
one `<item>` per colour and size, sharing `g:item_group_id` (a product of one colour and no
sizes is a lone item without one). Every URL is under the placeholder origin ORIGIN: pictures
at /demo/shop/images/<file>.jpg, product pages at /demo/shop/products/<product id> (every
variant links to its product's page: the server matches a visitor's page to a product by the
link's path, as the widget reports pages without their query string), the one video at
/media/<file> (where the server already serves media/). Prices are written "89.00 EUR" and
"89,00 EUR" on alternate items, as real feeds mix them. Variants of one colour share
their pictures (2 or 3: front, side, detail), and a product of three colours or more adds a
picture of its whole range to every variant, so an importer sees the same URL many times.

products.json carries what the shop's static pages need without any server API, from the
same data: per product its id (the feed's `item_group_id`, or `id` for a lone item), texts,
prices as numbers, pictures and variants.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import shop_pictures
from shop_catalogue import BRANDS, COLOURS, PRODUCTS, Colour, Product

HERE = Path(__file__).resolve().parent
OUT = HERE / "shop"
IMAGES = OUT / "images"

ORIGIN = "https://shop.covisor.invalid"
IMAGE_BASE = f"{ORIGIN}/demo/shop/images/"
PAGE_BASE = f"{ORIGIN}/demo/shop/products/"
VIDEO_BASE = f"{ORIGIN}/media/"
CURRENCY = "EUR"
PREORDER_DATE = "2027-03-01T09:00+01:00"
G = "http://base.google.com/ns/1.0"

BACKDROPS: tuple[tuple[shop_pictures.Color, shop_pictures.Color], ...] = (
    ((236, 240, 245), (186, 196, 210)),
    ((248, 240, 228), (214, 198, 176)),
    ((236, 244, 234), (190, 206, 186)),
    ((242, 236, 248), (200, 190, 218)),
    ((246, 234, 234), (214, 190, 190)),
    ((232, 242, 244), (180, 204, 208)),
)


@dataclass(frozen=True)
class Variant:
    id: str
    title: str
    colour: Colour
    size: str | None
    price: Decimal
    sale: Decimal | None
    availability: str
    gtin: str
    mpn: str
    images: tuple[str, ...]


def ean13(first12: str) -> str:
    """The 12 digits with their EAN-13 check digit."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


def size_token(size: str) -> str:
    """A size as it goes in a SKU: "42", "M", "20L", "110-130CM", "S-M"."""
    return "".join(c for c in size.upper() if c.isalnum() or c == "-")


def money(amount: Decimal, comma: bool) -> str:
    text = f"{amount:.2f}"
    return f"{text.replace('.', ',') if comma else text} {CURRENCY}"


def slug(text: str) -> str:
    plain = text.lower().translate(str.maketrans("áéíóúñü", "aeiounu"))
    return "-".join("".join(c if c.isalnum() else " " for c in plain).split())


def product_id(product: Product) -> str:
    """The id the shop's pages and the importer know a product by."""
    if is_lone(product):
        return f"{product.code}-{COLOURS[product.colours[0]].code}"
    return product.code


def is_lone(product: Product) -> bool:
    return len(product.colours) == 1 and not product.sizes


def picture_count(product: Product) -> int:
    """Three views for the dearer products, two for the rest."""
    return 3 if Decimal(product.price) >= 40 else 2


def picture_names(product: Product) -> dict[str, tuple[str, ...]]:
    """Per colour key its pictures (the range picture last, when there is one)."""
    base = slug(product.title)
    shared = (f"{base}-gama.jpg",) if len(product.colours) >= 3 else ()
    count = picture_count(product)
    names = {}
    for key in product.colours:
        colour = slug(COLOURS[key].name(product.gender))
        names[key] = tuple(f"{base}-{colour}-{n}.jpg" for n in range(1, count + 1)) + shared
    return names


def variants_of(product: Product, gtin_counters: dict[str, int]) -> list[Variant]:
    brand = BRANDS[product.brand]
    number = PRODUCTS.index(product) + 1
    images = picture_names(product)
    if product.sale is not None and product.size_prices:
        raise ValueError(f"{product.code}: a sale over per-size prices is not modelled")
    variants = []
    for key in product.colours:
        colour = COLOURS[key]
        for size in product.sizes or (None,):
            suffix = colour.code + (f"-{size_token(size)}" if size else "")
            counter = gtin_counters.get(brand.name, 0) + 1
            gtin_counters[brand.name] = counter
            title = f"{product.title} {colour.adjective(product.gender)}"
            if product.preorder:
                availability = "preorder"
            elif suffix in product.sold_out:
                availability = "out_of_stock"
            else:
                availability = "in_stock"
            variants.append(
                Variant(
                    id=f"{product.code}-{suffix}",
                    title=f"{title} {size}" if size else title,
                    colour=colour,
                    size=size,
                    price=Decimal(product.size_prices.get(size or "", product.price)),
                    sale=Decimal(product.sale) if product.sale else None,
                    availability=availability,
                    gtin=ean13(f"{brand.gs1_prefix}{counter:05d}"),
                    mpn=f"{brand.mpn_prefix}{number:03d}-{suffix}",
                    images=images[key],
                )
            )
    return variants


def draw_pictures(product: Product) -> dict[str, Any]:
    """Every picture of a product, by file name."""
    index = PRODUCTS.index(product)
    brand = BRANDS[product.brand]
    backdrops = (BACKDROPS[index % len(BACKDROPS)], BACKDROPS[(index + 3) % len(BACKDROPS)])
    looks = []
    pictures: dict[str, Any] = {}
    names = picture_names(product)
    for key in product.colours:
        main = COLOURS[key].rgb
        # the brand's accent that stands out more from this colour
        accent = max(
            brand.accents, key=lambda a: sum(abs(x - y) for x, y in zip(a, main, strict=True))
        )
        look = shop_pictures.Look(main, accent, product.style)
        looks.append(look)
        count = picture_count(product)
        views = shop_pictures.colour_views(product.kind, look, count, backdrops, brand.name)
        pictures.update(zip(names[key][:count], views, strict=True))
    if len(product.colours) >= 3:
        range_name = names[product.colours[0]][-1]
        pictures[range_name] = shop_pictures.range_view(
            product.kind, looks, backdrops[1], brand.name
        )
    return pictures


def g(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, f"{{{G}}}{tag}").text = text


def feed_xml(catalogue: list[tuple[Product, list[Variant]]]) -> bytes:
    ET.register_namespace("g", G)
    rss = ET.Element("rss", version="2.0")
    channel = ET.SubElement(rss, "channel")
    ET.SubElement(channel, "title").text = "Senda · tienda de montaña"
    ET.SubElement(channel, "link").text = f"{ORIGIN}/demo/shop/"
    ET.SubElement(
        channel, "description"
    ).text = "Catálogo de demostración de Covisor: una tienda inventada, sus productos no existen."
    position = 0
    for product, variants in catalogue:
        for variant in variants:
            item = ET.SubElement(channel, "item")
            g(item, "id", variant.id)
            if not is_lone(product):
                g(item, "item_group_id", product.code)
            g(item, "title", variant.title)
            g(item, "description", product.description)
            g(item, "link", PAGE_BASE + product_id(product))
            g(item, "image_link", IMAGE_BASE + variant.images[0])
            for name in variant.images[1:]:
                g(item, "additional_image_link", IMAGE_BASE + name)
            if product.video:
                g(item, "video_link", VIDEO_BASE + product.video)
            g(item, "availability", variant.availability)
            if variant.availability == "preorder":
                g(item, "availability_date", PREORDER_DATE)
            comma = position % 2 == 1
            g(item, "price", money(variant.price, comma))
            if variant.sale is not None:
                g(item, "sale_price", money(variant.sale, comma))
            g(item, "brand", product.brand)
            g(item, "gtin", variant.gtin)
            g(item, "mpn", variant.mpn)
            g(item, "condition", "new")
            g(item, "color", variant.colour.name(product.gender))
            if variant.size:
                g(item, "size", variant.size)
            g(item, "material", product.material)
            g(item, "product_type", product.product_type)
            position += 1
    ET.indent(rss, space="  ")
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True) + b"\n"


def products_json(catalogue: list[tuple[Product, list[Variant]]]) -> dict[str, Any]:
    products = []
    for product, variants in catalogue:
        images: list[str] = []
        for variant in variants:
            images += [name for name in variant.images if name not in images]
        products.append(
            {
                "id": product_id(product),
                "title": product.title,
                "description": product.description,
                "brand": product.brand,
                "product_type": product.product_type,
                "material": product.material,
                "link": PAGE_BASE + product_id(product),
                "currency": CURRENCY,
                "price": float(min(v.price for v in variants)),
                "sale_price": float(product.sale) if product.sale else None,
                "images": images,
                "video": product.video,
                "variants": [
                    {
                        "id": v.id,
                        "title": v.title,
                        "color": v.colour.name(product.gender),
                        "size": v.size,
                        "availability": v.availability,
                        "price": float(v.price),
                        "sale_price": float(v.sale) if v.sale is not None else None,
                        "gtin": v.gtin,
                        "images": list(v.images),
                    }
                    for v in variants
                ],
            }
        )
    return {
        "shop": {"name": "Senda", "origin": ORIGIN, "currency": CURRENCY, "feed": "feed.xml"},
        "products": products,
    }


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    counters: dict[str, int] = {}
    catalogue = [(product, variants_of(product, counters)) for product in PRODUCTS]
    written: set[str] = set()
    for product in PRODUCTS:
        for name, image in draw_pictures(product).items():
            image.save(IMAGES / name, "JPEG", quality=80, optimize=True)
            written.add(name)
    for stale in IMAGES.glob("*.jpg"):
        if stale.name not in written:
            stale.unlink()
    (OUT / "feed.xml").write_bytes(feed_xml(catalogue))
    text = json.dumps(products_json(catalogue), indent=2, ensure_ascii=False)
    (OUT / "products.json").write_text(text + "\n", encoding="utf-8")
    items = sum(len(variants) for _, variants in catalogue)
    size = sum(path.stat().st_size for path in OUT.rglob("*") if path.is_file())
    print(
        f"{len(PRODUCTS)} products, {items} items, {len(written)} pictures, "
        f"{size / 1e6:.1f} MB in {OUT}"
    )


if __name__ == "__main__":
    main()
