"""The demo shop's generated files (media/shop_feed.py) agree with themselves: the Google
product feed is well formed and complete, every picture it names is a real 800x800 JPEG of
ours, and products.json says what the feed says."""

from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET  # our own file, not a shop's: no need for defusedxml
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

MEDIA = Path(__file__).resolve().parents[2] / "media"
SHOP = MEDIA / "shop"
G = "{http://base.google.com/ns/1.0}"
ORIGIN = "https://shop.covisor.invalid"
IMAGE_BASE = f"{ORIGIN}/demo/shop/images/"
PAGE_BASE = f"{ORIGIN}/demo/shop/products/"
VIDEO_BASE = f"{ORIGIN}/media/"
PRICE = re.compile(r"^(\d+)[.,](\d{2}) EUR\Z")
REQUIRED = (
    "id title description link image_link availability price brand gtin mpn condition color "
    "material product_type"
).split()

Item = dict[str, list[str]]


def load_items() -> list[Item]:
    root = ET.parse(SHOP / "feed.xml").getroot()
    assert root.tag == "rss" and root.get("version") == "2.0"
    items = []
    for element in root.iterfind("channel/item"):
        item: Item = defaultdict(list)
        for child in element:
            assert child.tag.startswith(G), child.tag
            item[child.tag.removeprefix(G)].append((child.text or "").strip())
        items.append(dict(item))
    return items


@pytest.fixture(scope="module")
def items() -> list[Item]:
    return load_items()


@pytest.fixture(scope="module")
def products() -> list[dict[str, Any]]:
    data = json.loads((SHOP / "products.json").read_text(encoding="utf-8"))
    assert data["shop"]["origin"] == ORIGIN
    return list(data["products"])


def one(item: Item, field: str) -> str:
    values = item.get(field, [])
    assert len(values) == 1, (item["id"], field, values)
    return values[0]


def product_id(item: Item) -> str:
    """The feed's product: its `item_group_id`, or its `id` when it has no variants."""
    return (item.get("item_group_id") or item["id"])[0]


def price(text: str) -> Decimal:
    match = PRICE.match(text)
    assert match, text
    return Decimal(f"{match[1]}.{match[2]}")


def ean13_valid(code: str) -> bool:
    if not re.fullmatch(r"\d{13}", code):
        return False
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(code[:12]))
    return (10 - total % 10) % 10 == int(code[12])


def test_the_feed_is_a_shop_of_about_forty_products_most_with_variants(items: list[Item]) -> None:
    groups: dict[str, int] = defaultdict(int)
    for item in items:
        groups[product_id(item)] += 1
    assert 35 <= len(groups) <= 45
    assert 180 <= len(items) <= 230
    grouped = {item["item_group_id"][0] for item in items if "item_group_id" in item}
    assert len(grouped) > 0.8 * len(groups)
    assert all(2 <= groups[group] <= 8 for group in grouped)
    assert all(groups[product_id(item)] == 1 for item in items if "item_group_id" not in item)


def test_every_item_has_the_fields_an_importer_needs(items: list[Item]) -> None:
    for item in items:
        for field in REQUIRED:
            assert one(item, field), (item["id"], field)
        assert one(item, "condition") == "new"
        assert 1 <= len(item.get("additional_image_link", [])) <= 3, item["id"]
        availability = one(item, "availability")
        assert availability in {"in_stock", "out_of_stock", "preorder"}
        assert ("availability_date" in item) == (availability == "preorder")
    ids = [one(item, "id") for item in items]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[A-Z]+(-[A-Z0-9-]+)+", id_) for id_ in ids)


def test_availability_and_prices_are_mixed_as_in_real_feeds(items: list[Item]) -> None:
    availability = [one(item, "availability") for item in items]
    assert availability.count("in_stock") > 0.8 * len(items)
    assert {"out_of_stock", "preorder"} <= set(availability)
    prices = [one(item, "price") for item in items]
    assert any("," in text for text in prices) and any("." in text for text in prices)
    on_sale = [item for item in items if "sale_price" in item]
    assert 0 < len(on_sale) < len(items) / 2
    for item in on_sale:
        assert price(one(item, "sale_price")) < price(one(item, "price"))


def test_gtins_have_valid_check_digits_and_are_unique(items: list[Item]) -> None:
    gtins = [one(item, "gtin") for item in items]
    assert all(ean13_valid(gtin) for gtin in gtins), [g for g in gtins if not ean13_valid(g)]
    assert len(gtins) == len(set(gtins))
    assert not ean13_valid("8437012000019")  # the check is a check


def test_a_product_keeps_its_brand_title_link_and_pictures_per_colour(
    items: list[Item], products: list[dict[str, Any]]
) -> None:
    titles = {product["id"]: product["title"] for product in products}
    by_product: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_product[product_id(item)].append(item)
    brands = set()
    for group, members in by_product.items():
        for field in ("brand", "description", "material", "product_type", "link"):
            assert len({one(item, field) for item in members}) == 1, (group, field)
        assert one(members[0], "link") == PAGE_BASE + group
        brands.add(one(members[0], "brand"))
        for item in members:
            assert one(item, "title").startswith(titles[group] + " "), one(item, "title")
        pictures: dict[str, set[tuple[str, ...]]] = defaultdict(set)
        for item in members:
            urls = (one(item, "image_link"), *item["additional_image_link"])
            pictures[one(item, "color")].add(urls)
        assert all(len(sets) == 1 for sets in pictures.values()), group
        fronts = [next(iter(sets))[0] for sets in pictures.values()]
        assert len(fronts) == len(set(fronts)), group
    assert 2 <= len(brands) <= 4


def test_every_picture_is_an_800px_jpeg_of_ours_and_none_is_left_over(items: list[Item]) -> None:
    names = set()
    for item in items:
        for url in (one(item, "image_link"), *item["additional_image_link"]):
            assert url.startswith(IMAGE_BASE) and url.endswith(".jpg"), url
            names.add(url.removeprefix(IMAGE_BASE))
    on_disk = {path.name for path in (SHOP / "images").iterdir()}
    assert names == on_disk
    digests = set()
    for name in sorted(names):
        path = SHOP / "images" / name
        with Image.open(path) as image:
            assert (image.format, image.size, image.mode) == ("JPEG", (800, 800), "RGB"), name
            image.load()
        digests.add(hashlib.sha256(path.read_bytes()).hexdigest())
    assert len(digests) == len(names)  # a picture per product colour and view, never a copy


def test_the_one_video_is_the_demo_turntable(items: list[Item]) -> None:
    videos = {one(item, "video_link") for item in items if "video_link" in item}
    assert videos == {VIDEO_BASE + "mug-turntable.webm"}
    assert (MEDIA / "mug-turntable.webm").is_file()


def test_the_demo_searches_find_something(items: list[Item]) -> None:
    titles = [one(item, "title") for item in items]
    words = [set(title.casefold().split()) for title in titles]
    assert any({"zapatilla", "roja", "42"} <= title for title in words)
    assert any("Camiseta técnica" in title for title in titles)
    assert any(re.search(r"[áéíóúñ]", one(item, "color")) for item in items)


def test_every_url_is_under_the_placeholder_origin() -> None:
    text = (SHOP / "feed.xml").read_text(encoding="utf-8")
    urls = re.findall(r"https?://[^<\s\"]+", text)
    assert urls and all(url.startswith(ORIGIN + "/") for url in urls if "base.google" not in url)


def test_products_json_says_what_the_feed_says(
    items: list[Item], products: list[dict[str, Any]]
) -> None:
    by_id = {one(item, "id"): item for item in items}
    assert [v["id"] for p in products for v in p["variants"]] == [one(i, "id") for i in items]
    for product in products:
        first = by_id[product["variants"][0]["id"]]
        assert product["brand"] == one(first, "brand")
        assert product["description"] == one(first, "description")
        assert product["link"] == one(first, "link")
        assert product["currency"] == "EUR"
        variant_prices = []
        images: list[str] = []
        for variant in product["variants"]:
            item = by_id[variant["id"]]
            assert product_id(item) == product["id"]
            assert variant["title"] == one(item, "title")
            assert variant["color"] == one(item, "color")
            assert variant["size"] == (item["size"][0] if "size" in item else None)
            assert variant["availability"] == one(item, "availability")
            assert variant["gtin"] == one(item, "gtin")
            assert Decimal(str(variant["price"])) == price(one(item, "price"))
            sale = item.get("sale_price")
            assert variant["sale_price"] == (float(price(sale[0])) if sale else None)
            urls = [one(item, "image_link"), *item["additional_image_link"]]
            assert [IMAGE_BASE + name for name in variant["images"]] == urls
            images += [name for name in variant["images"] if name not in images]
            variant_prices.append(variant["price"])
        assert product["price"] == min(variant_prices)
        assert product["images"] == images
        assert (product["video"] is not None) == ("video_link" in first)


def test_the_shop_stays_small() -> None:
    total = sum(path.stat().st_size for path in SHOP.rglob("*") if path.is_file())
    assert total < 8_000_000
