"""The Store contract for catalogue items, run against every backend."""

from __future__ import annotations

from typing import Any

from covisor.store import CatalogueRecord

MEDIA = "ab" * 32


def item(item_id: str, at: float = 1.0, **changes: Any) -> CatalogueRecord:
    fields: dict[str, Any] = {
        "id": item_id,
        "title": f"Item {item_id}",
        "description": "A thing.",
        "kind": "image",
        "media_id": MEDIA,
        "width": 800,
        "height": 600,
        "created_at": at,
        **changes,
    }
    return CatalogueRecord(**fields)


async def test_catalogue_item_is_stored_and_found_by_id(store: Any) -> None:
    video = item("mug", price="18.50", currency="EUR", kind="video", duration=5.0, added_by="a_1")
    assert await store.add_catalogue_item(video) is True
    assert await store.catalogue_item("mug") == video
    assert await store.catalogue_item("nope") is None


async def test_existing_catalogue_id_is_kept_and_not_overwritten(store: Any) -> None:
    assert await store.add_catalogue_item(item("mug", title="First"))
    assert await store.add_catalogue_item(item("mug", title="Second")) is False
    assert (await store.catalogue_item("mug")).title == "First"


async def test_catalogue_lists_oldest_first_up_to_the_limit(store: Any) -> None:
    for item_id, at in (("b", 2.0), ("c", 1.0), ("a", 2.0)):
        await store.add_catalogue_item(item(item_id, at))
    assert [i.id for i in await store.catalogue_items()] == ["c", "a", "b"]
    assert [i.id for i in await store.catalogue_items(limit=2)] == ["c", "a"]
