"""`ReplyStore` on SQLite: canned replies, shared or an agent's own."""

from __future__ import annotations

from typing import Any

from covisor.store.records import ReplyRecord
from covisor.store.sql.db import Conflict, HasDb

_REPLY_COLUMNS = "id, owner_id, shortcut, text, shared, created_at, updated_at, catalogue_id"


class SQLReplies:
    """Mixed into `SQLStore` (each method's `self` is one: see `HasDb`)."""

    async def add_reply(self: HasDb, reply: ReplyRecord) -> bool:
        try:
            await self._db.execute(
                f"INSERT INTO replies ({_REPLY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                _reply_row(reply),
            )
        except Conflict:
            return False
        return True

    async def update_reply(self: HasDb, reply: ReplyRecord) -> bool | None:
        try:
            changed = await self._db.execute(
                "UPDATE replies SET owner_id = ?, shortcut = ?, text = ?, shared = ?, "
                "created_at = ?, updated_at = ?, catalogue_id = ? WHERE id = ?",
                (*_reply_row(reply)[1:], reply.id),
            )
        except Conflict:
            return False
        return True if changed > 0 else None

    async def reply(self: HasDb, reply_id: str) -> ReplyRecord | None:
        rows = list(
            await self._db.fetch(f"SELECT {_REPLY_COLUMNS} FROM replies WHERE id = ?", (reply_id,))
        )
        return _reply(rows[0]) if rows else None

    async def replies_for(self: HasDb, owner_id: str, limit: int = 1000) -> list[ReplyRecord]:
        rows = await self._db.fetch(
            f"SELECT {_REPLY_COLUMNS} FROM replies WHERE shared = 1 OR owner_id = ? "
            "ORDER BY shortcut, shared, id LIMIT ?",
            (owner_id, limit),
        )
        return [_reply(row) for row in rows]

    async def delete_reply(self: HasDb, reply_id: str) -> bool:
        changed = await self._db.execute("DELETE FROM replies WHERE id = ?", (reply_id,))
        return changed > 0


def _reply_row(reply: ReplyRecord) -> tuple[Any, ...]:
    return (
        reply.id,
        reply.owner_id,
        reply.shortcut,
        reply.text,
        int(reply.shared),
        reply.created_at,
        reply.updated_at,
        reply.catalogue_id,
    )


def _reply(row: Any) -> ReplyRecord:
    id_, owner_id, shortcut, text, shared, created_at, updated_at, catalogue_id = row
    return ReplyRecord(
        id_, owner_id, shortcut, text, bool(shared), created_at, updated_at, catalogue_id
    )
