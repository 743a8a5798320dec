"""The Store contract for saved replies, run against every backend."""

from __future__ import annotations

import dataclasses
from typing import Any

from covisor.store import ReplyRecord


def reply(
    reply_id: str,
    shortcut: str,
    owner: str = "a_1",
    *,
    shared: bool = False,
    catalogue_id: str | None = None,
) -> ReplyRecord:
    return ReplyRecord(
        reply_id, owner, shortcut, f"text of {reply_id}", shared, 1.0, 2.0, catalogue_id
    )


async def test_reply_is_stored_and_found_by_id(store: Any) -> None:
    stored = reply("r_1", "hi", catalogue_id="p_1")
    assert await store.add_reply(stored) is True
    assert await store.reply("r_1") == stored
    assert await store.reply("r_2") is None


async def test_owner_sees_own_and_shared_replies_by_shortcut(store: Any) -> None:
    await store.add_reply(reply("r_1", "zz"))
    await store.add_reply(reply("r_2", "aa", shared=True, owner="a_admin"))
    await store.add_reply(reply("r_3", "mm", owner="a_2"))
    await store.add_reply(reply("r_4", "bb"))
    assert [r.id for r in await store.replies_for("a_1")] == ["r_2", "r_4", "r_1"]
    assert [r.id for r in await store.replies_for("a_2")] == ["r_2", "r_3"]
    assert [r.id for r in await store.replies_for("a_1", limit=2)] == ["r_2", "r_4"]


async def test_personal_shortcut_is_unique_per_owner(store: Any) -> None:
    assert await store.add_reply(reply("r_1", "hi"))
    assert await store.add_reply(reply("r_2", "hi")) is False
    assert await store.reply("r_2") is None
    assert await store.add_reply(reply("r_3", "hi", owner="a_2"))


async def test_shared_shortcut_is_unique_among_shared_and_apart_from_personal(store: Any) -> None:
    assert await store.add_reply(reply("r_1", "hi", shared=True, owner="a_admin"))
    assert await store.add_reply(reply("r_2", "hi", shared=True, owner="a_other")) is False
    assert await store.add_reply(reply("r_3", "hi", owner="a_admin"))
    mine = await store.replies_for("a_admin")
    assert [(r.id, r.shared) for r in mine] == [("r_3", False), ("r_1", True)]


async def test_update_replaces_the_reply(store: Any) -> None:
    await store.add_reply(reply("r_1", "hi"))
    changed = dataclasses.replace(
        reply("r_1", "hello", catalogue_id="p_9"), text="Hello {name}", updated_at=9.0
    )
    assert await store.update_reply(changed) is True
    assert await store.reply("r_1") == changed


async def test_update_to_a_taken_shortcut_changes_nothing(store: Any) -> None:
    await store.add_reply(reply("r_1", "hi"))
    await store.add_reply(reply("r_2", "bye"))
    assert await store.update_reply(reply("r_2", "hi")) is False
    assert (await store.reply("r_2")) == reply("r_2", "bye")
    assert await store.update_reply(reply("r_2", "bye")) is True


async def test_update_of_a_missing_reply_creates_nothing(store: Any) -> None:
    assert await store.update_reply(reply("r_1", "hi")) is None
    assert await store.reply("r_1") is None


async def test_delete_frees_the_shortcut(store: Any) -> None:
    await store.add_reply(reply("r_1", "hi"))
    assert await store.delete_reply("r_1") is True
    assert await store.delete_reply("r_1") is False
    assert await store.reply("r_1") is None
    assert await store.add_reply(reply("r_2", "hi"))
