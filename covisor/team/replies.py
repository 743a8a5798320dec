"""Saved replies: texts an agent sends in one tap, by a shortcut typed after `/`.

A reply is personal (its owner's only) or shared (the whole team's; only admins create, change
or delete those). Its `shortcut` is 1–32 of `[a-z0-9_-]` (lower-cased on the way in) and unique
in its scope: among its owner's personal replies, or among the shared ones. Its `text` follows
the rules of a chat message (not blank, at most `max_chars`, the chat's limit), so a reply can
always be sent. An optional `catalogue_id` names a catalogue item the console shows in the
viewer when the reply is sent; it must exist when the reply is saved.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from covisor.kernel.clock import Clock, TokenSource
from covisor.kernel.errors import CovisorError
from covisor.kernel.identity import Identity
from covisor.store import ReplyRecord, Store

SHORTCUT = re.compile(r"[a-z0-9_-]{1,32}")
SHORTCUT_CHARS = 32


@dataclasses.dataclass(frozen=True)
class ReplyDraft:
    """What an agent asks a reply to be; checked by `SavedReplies`, not here."""

    shortcut: str
    text: str
    shared: bool = False
    catalogue_id: str | None = None


class SavedReplies:
    """Personal and shared saved replies of agents; every method refuses shoppers."""

    def __init__(self, store: Store, *, max_chars: int, clock: Clock, tokens: TokenSource) -> None:
        self._store = store
        self._max_chars = max_chars
        self._clock = clock
        self._tokens = tokens

    async def listing(self, agent: Identity) -> list[dict[str, Any]]:
        """The agent's personal replies and every shared one, by shortcut."""
        _require_agent(agent)
        replies = await self._store.replies_for(agent.id)
        shown = {r.catalogue_id for r in replies if r.catalogue_id is not None}
        found = {item_id: await self._shown(item_id) for item_id in shown}
        return [_wire(r, found.get(r.catalogue_id or "")) for r in replies]

    async def create(self, agent: Identity, draft: ReplyDraft) -> dict[str, Any]:
        _require_agent(agent)
        if draft.shared and not agent.admin:
            raise CovisorError("forbidden", "only admins save shared replies")
        now = self._clock()
        reply = ReplyRecord(
            id="r_" + self._tokens(12),
            owner_id=agent.id,
            shortcut=_shortcut(draft.shortcut),
            text=self._text(draft.text),
            shared=draft.shared,
            created_at=now,
            updated_at=now,
            catalogue_id=await self._catalogue_id(draft.catalogue_id),
        )
        if not await self._store.add_reply(reply):
            raise _taken(reply)
        return await self._wire(reply)

    async def update(self, current: ReplyRecord, draft: ReplyDraft) -> dict[str, Any]:
        """Replace the shortcut, text and catalogue item of `current` (as `editable` found
        it); `shared` cannot change."""
        if draft.shared != current.shared:
            raise CovisorError(
                "bad_request", "shared cannot change: save a new reply and delete this one"
            )
        reply = dataclasses.replace(
            current,
            shortcut=_shortcut(draft.shortcut),
            text=self._text(draft.text),
            catalogue_id=await self._catalogue_id(draft.catalogue_id),
            updated_at=self._clock(),
        )
        done = await self._store.update_reply(reply)
        if done is None:
            raise CovisorError("not_found", "no such saved reply")
        if not done:
            raise _taken(reply)
        return await self._wire(reply)

    async def delete(self, agent: Identity, reply_id: str) -> None:
        await self.editable(agent, reply_id)
        if not await self._store.delete_reply(reply_id):
            raise CovisorError("not_found", "no such saved reply")

    async def editable(self, agent: Identity, reply_id: str) -> ReplyRecord:
        """The reply, if `agent` may change it: its owner for a personal one, an admin for a
        shared one (asked before the change is read)."""
        _require_agent(agent)
        reply = await self._store.reply(reply_id)
        if reply is None:
            raise CovisorError("not_found", "no such saved reply")
        if reply.shared and not agent.admin:
            raise CovisorError("forbidden", "only admins change shared replies")
        if not reply.shared and reply.owner_id != agent.id:
            raise CovisorError("forbidden", "this saved reply is another agent's")
        return reply

    def _text(self, text: str) -> str:
        if len(text) > self._max_chars:
            raise CovisorError("bad_request", f"text: at most {self._max_chars} characters")
        if not text.strip():
            raise CovisorError("bad_request", "text is empty")
        return text

    async def _catalogue_id(self, catalogue_id: str | None) -> str | None:
        if catalogue_id is None:
            return None
        if await self._store.catalogue_item(catalogue_id) is None:
            raise CovisorError("bad_request", "catalogue_id: no such catalogue item")
        return catalogue_id

    async def _wire(self, reply: ReplyRecord) -> dict[str, Any]:
        shown = None if reply.catalogue_id is None else await self._shown(reply.catalogue_id)
        return _wire(reply, shown)

    async def _shown(self, catalogue_id: str) -> str | None:
        """What `viewer.show` takes as `media_id` to show the catalogue item: its id (a
        catalogue item's pipeline `media_id` would be read as an upload's); None once the item
        is gone."""
        item = await self._store.catalogue_item(catalogue_id)
        return item.id if item is not None else None


def _wire(reply: ReplyRecord, shown: str | None) -> dict[str, Any]:
    """What clients get of a reply; `shown` is its `catalogue_media_id` (see `_shown`)."""
    return {
        "id": reply.id,
        "shortcut": reply.shortcut,
        "text": reply.text,
        "shared": reply.shared,
        "catalogue_id": reply.catalogue_id,
        "catalogue_media_id": shown,
        "owner_id": reply.owner_id,
        "updated_at": reply.updated_at,
    }


def _require_agent(identity: Identity) -> None:
    if not identity.is_agent:
        raise CovisorError("forbidden", "agents only")


def _shortcut(given: str) -> str:
    # ASCII before lower-casing: "\u212a" (the Kelvin sign) lower-cases to "k".
    shortcut = given.lower() if given.isascii() else ""
    if not SHORTCUT.fullmatch(shortcut):
        raise CovisorError(
            "bad_request", f"shortcut: 1–{SHORTCUT_CHARS} of the characters a-z, 0-9, _ and -"
        )
    return shortcut


def _taken(reply: ReplyRecord) -> CovisorError:
    scope = "shared reply" if reply.shared else "reply of yours"
    return CovisorError("conflict", f"another {scope} has the shortcut /{reply.shortcut}")
