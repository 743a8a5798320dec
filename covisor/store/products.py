"""The store's products slice: the shop's feed as imported, its search index, its pictures,
the imports themselves and the feed's schedule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from covisor.store.records import (
    FeedScheduleRecord,
    ImportRecord,
    ProductImageRecord,
    ProductRecord,
)


def link_path(url: str) -> str:
    """The path of a product's link or of a page, the key a page is matched to its product
    by: one Covisor serves one shop, and the widget reports pages without their query
    (which may carry personal data), so neither origin nor query takes part. A trailing
    slash does not count."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return ""
    return path.rstrip("/") or "/"


@dataclass(frozen=True)
class IndexedProduct:
    """A product to write with what the search index holds for it: `words` (title, brand,
    type, colour, size, material) and `codes` (id, GTIN, MPN), each already folded by the
    catalogue (lower case, no accents) so every backend indexes the same tokens."""

    product: ProductRecord
    words: str
    codes: str


@dataclass(frozen=True)
class ProductQuery:
    """A search: every one of `terms` (folded) is a prefix of a word or code of a hit; a
    product whose id, GTIN or MPN equals `code` (folded) comes first. Filters: in stock only,
    this exact brand, a product type starting with `product_type`."""

    terms: tuple[str, ...]
    code: str
    in_stock: bool = False
    brand: str | None = None
    product_type: str | None = None
    limit: int = 20


class ProductStore(Protocol):
    """The shop's products as the last imports left them."""

    async def product_digests(
        self, ids: Sequence[str], import_id: str
    ) -> dict[str, tuple[str, bool, bool]]:
        """For each of `ids` stored: its digest, whether it is live (not removed), and whether
        the import `import_id` has already listed it (a resumed import)."""

    async def write_products(
        self,
        import_id: str,
        products: Sequence[IndexedProduct],
        seen: Sequence[str],
        progress: ImportRecord,
    ) -> None:
        """In one transaction: upsert `products` (live again if removed), mark them and the
        unchanged `seen` ids as listed by `import_id`, and save `progress` (the import's
        counts so far). A crash leaves all of it or none."""

    async def finish_import(self, record: ImportRecord, remove_unlisted: bool) -> int:
        """Save the finished `record`; when `remove_unlisted` (the feed was read to its end),
        first mark removed every live product `record` did not list, in the same transaction,
        and count them in the saved record's `removed`. Returns how many were removed."""

    async def product(self, product_id: str) -> ProductRecord | None:
        """The item with this feed id, live or removed."""

    async def product_group(self, group_id: str) -> list[ProductRecord]:
        """The live variants of a product, in feed id order."""

    async def search_products(self, query: ProductQuery) -> list[ProductRecord]:
        """One hit a product (its best-matching live variant), exact code matches first, then
        by relevance; with no terms and no code, products by title."""

    async def product_brands(self) -> list[tuple[str, int]]:
        """The live products' brands with how many products each, most first."""

    async def product_images(self, urls: Sequence[str]) -> dict[str, ProductImageRecord]:
        """The known pictures among `urls`."""

    async def save_product_image(self, image: ProductImageRecord) -> None:
        """Insert or replace the picture of `image.url`."""

    async def is_product_media(self, media_id: str) -> bool:
        """A product picture became this media (so it may be served publicly)."""

    async def products_at(self, paths: Sequence[str]) -> dict[str, str]:
        """The product (group id) whose live variants' links have each of `paths`
        (`link_path`); a path several products share names none."""

    async def create_import(self, record: ImportRecord) -> bool:
        """Store a new running import unless another one is running with a live lease (then
        store nothing and return False): one import at a time, across processes."""

    async def take_over_import(self, now: float, lease_until: float) -> ImportRecord | None:
        """A running import whose lease lapsed before `now`, now leased until `lease_until`
        to the caller; None if there is none."""

    async def renew_import(self, import_id: str, lease_until: float) -> None: ...

    async def import_record(self, import_id: str) -> ImportRecord | None: ...

    async def recent_imports(self, limit: int) -> list[ImportRecord]:
        """The latest imports, newest first."""

    async def feed_schedule(self) -> FeedScheduleRecord | None: ...

    async def set_feed_schedule(self, schedule: FeedScheduleRecord | None) -> None:
        """Replace the schedule (None: no scheduled feed)."""
