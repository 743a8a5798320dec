"""The store's replies slice: saved replies, the team's and each agent's own."""

from __future__ import annotations

from typing import Protocol

from covisor.store.records import ReplyRecord


class ReplyStore(Protocol):
    """Saved replies, the team's and each agent's own."""

    async def add_reply(self, reply: ReplyRecord) -> bool:
        """Store a new saved reply; False (nothing stored) if its shortcut is taken in its
        scope: among `owner_id`'s personal replies, or among the shared ones."""

    async def update_reply(self, reply: ReplyRecord) -> bool | None:
        """Replace the stored reply with `reply.id` by `reply`: True when done, False (nothing
        changed) if another reply of its scope has its shortcut, None if there is no such
        reply (it is never created here)."""

    async def reply(self, reply_id: str) -> ReplyRecord | None: ...

    async def replies_for(self, owner_id: str, limit: int = 1000) -> list[ReplyRecord]:
        """`owner_id`'s personal replies and every shared one, by shortcut (then personal
        before shared, then by id), at most `limit`."""

    async def delete_reply(self, reply_id: str) -> bool:
        """Drop the reply; False if there was none."""
