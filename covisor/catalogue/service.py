"""What agents ask of the catalogue: search, a product's card, the brands to filter by, and
the product pictures served publicly (like the one-picture items of media.catalogue)."""

from __future__ import annotations

from typing import Any

from covisor.catalogue.products import chosen_variant, picture_entries, product_card
from covisor.catalogue.search import parse_query
from covisor.conversations.gallery import viewer_entry
from covisor.kernel.errors import CovisorError
from covisor.media import MediaPipeline
from covisor.media.files import ServedFile, derived_file, media_record
from covisor.store.products import ProductStore, link_path
from covisor.store.records import ProductRecord

MAX_RESULTS = 50
SHOWN_PICTURE = "display_webp"


class ProductCatalogue:
    def __init__(self, products: ProductStore, pipeline: MediaPipeline) -> None:
        self._products = products
        self._pipeline = pipeline

    async def search(
        self,
        text: str,
        *,
        in_stock: bool = False,
        brand: str | None = None,
        product_type: str | None = None,
        limit: int = 20,
    ) -> list[dict[str, Any]]:
        """Products matching `text` (every word a prefix; case and accents ignored), exact
        SKU/GTIN/MPN first: one hit a product, on its best-matching variant."""
        if not 1 <= limit <= MAX_RESULTS:
            raise CovisorError("bad_request", f"limit: 1 to {MAX_RESULTS}")
        query = parse_query(
            text, in_stock=in_stock, brand=brand, product_type=product_type, limit=limit
        )
        hits = await self._products.search_products(query)
        pictures = await self._products.product_images([hit.images[0] for hit in hits])
        return [_hit(hit, picture_entries(hit.images[:1], pictures)) for hit in hits]

    async def card(self, product_id: str) -> dict[str, Any]:
        """The card of a live product by its id (a variant's id names its product too)."""
        variants = await self._products.product_group(product_id)
        if not variants:
            variant = await self._products.product(product_id)
            if variant is not None and variant.removed_at is None:
                variants = await self._products.product_group(variant.group_id)
        if not variants:
            raise CovisorError("not_found", "no such product")
        urls = list(dict.fromkeys(url for v in variants for url in v.images))
        return product_card(variants, await self._products.product_images(urls))

    async def viewer_entry(
        self, product_id: str, variant_id: str | None, picture_id: str | None
    ) -> dict[str, Any]:
        """What `viewer.show` stores for a product (gallery.viewer_entry's shape, source
        `product`): the chosen picture (of the variant by default), the chosen variant (the
        first in stock by default), and the product's whole card, so the conversation keeps
        what it showed even after the feed drops the product."""
        card = await self.card(product_id)
        variant = chosen_variant(card, product_id, variant_id)
        if variant is None:
            raise CovisorError("not_found", "this product has no such variant")
        pictures = {entry["id"]: entry for entry in card["pictures"]}
        chosen = picture_id or next(iter(variant["pictures"] or pictures), None)
        if chosen is None:
            raise CovisorError("conflict", "this product has no picture ready to show yet")
        if chosen not in pictures:
            raise CovisorError("not_found", "this product has no such picture")
        picture = pictures[chosen]
        entry = viewer_entry(
            "product",
            chosen,
            SHOWN_PICTURE,
            kind="image",
            title=card["title"],
            width=picture["width"],
            height=picture["height"],
        )
        return {**entry, "product": card, "variant_id": variant["id"]}

    async def products_at(self, urls: list[str]) -> dict[str, str]:
        """The product each of `urls` is the page of, by its links' paths (`link_path`);
        pages of no product, or of several, are left out."""
        paths = {url: link_path(url) for url in urls}
        found = await self._products.products_at(list(paths.values()))
        return {url: found[path] for url, path in paths.items() if path in found}

    async def brands(self) -> list[dict[str, Any]]:
        return [{"brand": b, "products": n} for b, n in await self._products.product_brands()]

    async def picture(self, media_id: str, variant: str) -> ServedFile:
        """A product picture's file: only media a product picture became is served."""
        if not await self._products.is_product_media(media_id):
            raise CovisorError("not_found", "no such picture")
        return derived_file(self._pipeline, await media_record(self._pipeline, media_id), variant)


def _hit(hit: ProductRecord, pictures: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": hit.group_id,
        "variant_id": hit.id,
        "title": hit.title,
        "brand": hit.brand,
        "color": hit.color,
        "size": hit.size,
        "price": hit.price,
        "sale_price": hit.sale_price,
        "currency": hit.currency,
        "availability": hit.availability,
        "picture": pictures[0] if pictures else None,
    }
