"""The store's conversations slice: the event log, summaries and the group commit."""

from __future__ import annotations

from typing import Protocol

from covisor.kernel.events import Event
from covisor.store.records import Append, ClosedQuery, ConversationRecord, SummaryRecord


class ConversationStore(Protocol):
    """Conversations: their event log, summaries and the group commit."""

    async def create_conversation(self, conversation_id: str, created_at: float) -> None:
        """A new, empty conversation (seq 0); its first event is appended by `commit`."""

    async def conversation(self, conversation_id: str) -> ConversationRecord | None:
        """The whole row, with the latest snapshot: what loading the state needs."""

    async def summary(self, conversation_id: str) -> SummaryRecord | None:
        """The committed summary alone (no snapshot), for reads that must not queue."""

    async def conversations(
        self,
        *,
        status: str | None = None,
        agent_id: str | None = None,
        customer_id: str | None = None,
        limit: int = 200,
    ) -> list[SummaryRecord]:
        """Opened conversations (seq > 0), newest first; `customer_id` is the verified one of
        the summary's `visitor`."""

    async def closed_conversations(self, query: ClosedQuery) -> list[SummaryRecord]:
        """Closed conversations matching every filter of `query`, newest first (then by id),
        paged by its `offset` and `limit`. Its `text` is a substring, in any case, of the
        summary's `name`, `visitor.name` or `visitor.email`, or of a `chat.message`'s text
        (read from the events: a scan of the closed conversations' messages, which a shop's
        history bears; no index of words is kept)."""

    async def open_counts(self) -> dict[str, int]:
        """How many active conversations each agent has (agents with none are left out)."""

    async def with_pending_uploads(self, limit: int = 1000) -> list[str]:
        """Ids of conversations whose summary counts uploads under way (`uploads_pending`)."""

    async def commit(self, appends: list[Append]) -> set[str]:
        """Write the appends that are not stale; return the stale conversation ids."""

    async def events_after(self, conversation_id: str, after_seq: int, limit: int) -> list[Event]:
        """Events with `seq > after_seq`, ascending, at most `limit`."""

    async def events_of_type(
        self, conversation_id: str, type_: str, before_seq: int | None, limit: int
    ) -> list[Event]:
        """The last `limit` events of `type_` before `before_seq` (all if None), ascending."""

    async def events_of_type_after(
        self, conversation_id: str, type_: str, after_seq: int, limit: int
    ) -> list[Event]:
        """The first `limit` events of `type_` after `after_seq`, ascending."""

    async def erase_conversation(self, conversation_id: str) -> bool:
        """Delete the conversation with every event, PIN and counter of it, in one step;
        False if there was none. Its media files are the caller's to delete."""

    async def media_in_use(self, media_ids: list[str]) -> set[str]:
        """Those of `media_ids` that a conversation's upload, a catalogue item or a product
        picture of the feed catalogue refers to."""

    async def closed_before(self, before: float, limit: int = 500) -> list[str]:
        """Ids of conversations closed whose last event is older than `before` (ms)."""
