"""Products as the feed describes them and as agents and shoppers see them.

A feed item is a variant; variants sharing the feed's `item_group_id` are one product (a
product without variants is a group of one). `product_record` turns a parsed item into what
the store keeps, with a digest of its content so an unchanged item costs one comparison.
`product_card` is the one shape of a product everywhere it is shown: the catalogue API, the
viewer's card, a product message in the chat. Pictures in a card are Covisor's own ids of the
processed media, never the shop's URLs: the widget requests nothing from another origin.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from covisor.catalogue.feed import FeedItem
from covisor.catalogue.prices import format_amount
from covisor.store.records import ProductImageRecord, ProductRecord

AVAILABLE = ("in_stock", "preorder", "backorder")
"""Availabilities under which a shopper may add a variant to the cart."""


def product_record(item: FeedItem, now: float) -> ProductRecord:
    """What the store keeps of a parsed feed item; `digest` covers everything but times."""
    images = (item.image_link, *item.additional_image_links)
    fields: dict[str, Any] = {
        "id": item.id,
        "group_id": item.item_group_id or item.id,
        "title": item.title,
        "description": item.description,
        "link": item.link,
        "price": format_amount(item.price),
        "currency": item.price.currency,
        "sale_price": None if item.sale_price is None else format_amount(item.sale_price),
        "availability": item.availability,
        "brand": item.brand,
        "gtin": item.gtin,
        "mpn": item.mpn,
        "color": item.color,
        "size": item.size,
        "material": item.material,
        "product_type": item.product_type,
        "condition": item.condition,
        "images": list(dict.fromkeys(images)),
        "extra": dict(sorted(item.extra.items())),
    }
    canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    fields["images"] = tuple(fields["images"])
    return ProductRecord(**fields, digest=digest, updated_at=now)


def picture_entries(
    urls: Sequence[str], pictures: Mapping[str, ProductImageRecord]
) -> list[dict[str, Any]]:
    """The ready pictures among `urls`, in order, once each: `{"id", "width", "height"}`."""
    entries: dict[str, dict[str, Any]] = {}
    for url in urls:
        picture = pictures.get(url)
        if picture is not None and picture.media_id and picture.media_id not in entries:
            entries[picture.media_id] = {
                "id": picture.media_id,
                "width": picture.width,
                "height": picture.height,
            }
    return list(entries.values())


def _variant(record: ProductRecord, pictures: Mapping[str, ProductImageRecord]) -> dict[str, Any]:
    return {
        "id": record.id,
        "title": record.title,
        "color": record.color,
        "size": record.size,
        "material": record.material,
        "price": record.price,
        "sale_price": record.sale_price,
        "availability": record.availability,
        "gtin": record.gtin,
        "mpn": record.mpn,
        "link": record.link,
        "pictures": [entry["id"] for entry in picture_entries(record.images, pictures)],
    }


def chosen_variant(
    card: Mapping[str, Any], product_id: str, variant_id: str | None = None
) -> dict[str, Any] | None:
    """The variant of a card (`product_card`) a command means, for `viewer.show`,
    `product.send` and `cart.add` alike: the one `variant_id` names (None when the product has
    no such variant), else the one `product_id` names when that is a variant's id (a shop's
    page tells the variant it shows), else its first in stock, else its first."""
    variants: list[dict[str, Any]] = card["variants"]
    if variant_id is not None:
        return next((v for v in variants if v["id"] == variant_id), None)
    named = next((v for v in variants if v["id"] == product_id), None)
    return named or next((v for v in variants if v["availability"] == "in_stock"), variants[0])


def product_card(
    variants: Sequence[ProductRecord], pictures: Mapping[str, ProductImageRecord]
) -> dict[str, Any]:
    """The card of the product whose live `variants` are given (at least one, in id order):
    the first variant's shared facts, the pictures of every variant, each variant's own
    price, availability and pictures, and the options (colours, sizes) the variants span."""
    first = variants[0]
    urls = [url for variant in variants for url in variant.images]
    options = {
        name: list(dict.fromkeys(getattr(v, name) for v in variants if getattr(v, name)))
        for name in ("color", "size", "material")
    }
    return {
        "id": first.group_id,
        "title": shared_title([v.title for v in variants]),
        "brand": first.brand,
        "description": first.description,
        "product_type": first.product_type,
        "link": first.link,
        "currency": first.currency,
        "price": min((v.price for v in variants), key=float),
        "availability": (
            "in_stock"
            if any(v.availability == "in_stock" for v in variants)
            else first.availability
        ),
        "pictures": picture_entries(urls, pictures),
        "options": {name: values for name, values in options.items() if len(values) > 0},
        "variants": [_variant(v, pictures) for v in variants],
    }


def shared_title(titles: Sequence[str]) -> str:
    """A product's title from its variants' `titles` (at least one): the words they begin with
    alike ("Zapatilla de trail" of "Zapatilla de trail roja 42" and "… azul 41"), or the
    first title."""
    if len(titles) == 1:
        return titles[0]
    split = [title.split() for title in titles]
    common: list[str] = []
    for words in zip(*split, strict=False):
        if any(word != words[0] for word in words):
            break
        common.append(words[0])
    return " ".join(common) if common else titles[0]
