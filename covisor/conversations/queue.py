"""The waiting line as agents' consoles see it, read for pushing to them.

The realtime fanout pushes the queue after events that change it, and a conversation's summary
to the agent it was handed to; it reads both here, never the store.
"""

from __future__ import annotations

from covisor.store.conversations import ConversationStore
from covisor.store.records import SummaryRecord

QUEUE_LENGTH = 100
"""Waiting conversations pushed to agents at most (the oldest beyond are listed by REST)."""


class Queue:
    def __init__(self, store: ConversationStore) -> None:
        self._store = store

    async def waiting(self) -> list[SummaryRecord]:
        """The oldest waiting conversations still in the queue, at most `QUEUE_LENGTH`."""
        found = await self._store.conversations(status="waiting", limit=QUEUE_LENGTH)
        return [r for r in found if r.summary.get("queued", True)]

    async def summary(self, conversation_id: str) -> SummaryRecord | None:
        """What an agent handed a conversation is shown of it."""
        return await self._store.summary(conversation_id)
