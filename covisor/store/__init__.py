"""Where conversations, agents and secrets live: one small interface, several backends.

The server talks to a `Store` only. `SQLiteStore` (the embedded default) and `MongoStore` implement
it and pass the same contract tests (tests/store/). Events are the source of truth; a conversation
row keeps a summary for listing and a periodic state snapshot so loading does not replay forever.

Concurrency contract: `commit` writes each append whose conversation's last seq in the store is
still the `expected_seq` the writer assumed, and returns the ids of the others (stale: another
process wrote them in between), which it left untouched; the writer reloads those and decides again.
Each append is all-or-nothing; what `commit` returns from is durable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from covisor.events import Event


@dataclass(frozen=True)
class AgentRecord:
    id: str
    name: str
    token_digest: str
    created_at: float


@dataclass(frozen=True)
class ConversationRecord:
    """A conversation's row: its summary, last seq and latest snapshot (state at `snapshot_seq`)."""

    id: str
    created_at: float
    seq: int
    summary: dict[str, Any]
    snapshot: bytes | None
    snapshot_seq: int


@dataclass(frozen=True)
class Append:
    """New events for one conversation, with the summary (and maybe snapshot) they lead to."""

    conversation_id: str
    expected_seq: int
    events: list[Event]
    summary: dict[str, Any]
    snapshot: bytes | None = None


class Store(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def ping(self) -> None:
        """Raise if the store cannot serve."""

    async def secret(self, name: str, candidate: bytes) -> bytes:
        """The secret stored under `name`; stores `candidate` first if there is none yet."""

    async def add_agent(self, agent: AgentRecord) -> None: ...

    async def agent_by_digest(self, token_digest: str) -> AgentRecord | None: ...

    async def count_agents(self) -> int: ...

    async def create_conversation(self, conversation_id: str, created_at: float) -> None:
        """A new, empty conversation (seq 0); its first event is appended by `commit`."""

    async def conversation(self, conversation_id: str) -> ConversationRecord | None: ...

    async def conversations(
        self, *, status: str | None = None, agent_id: str | None = None, limit: int = 200
    ) -> list[ConversationRecord]:
        """Newest first."""

    async def seqs(self, conversation_ids: list[str]) -> dict[str, int]:
        """The last committed seq of each existing conversation among `conversation_ids`."""

    async def commit(self, appends: list[Append]) -> set[str]:
        """Write the appends that are not stale; return the stale conversation ids."""

    async def events_after(self, conversation_id: str, after_seq: int, limit: int) -> list[Event]:
        """Events with `seq > after_seq`, ascending, at most `limit`."""

    async def events_of_type(
        self, conversation_id: str, type_: str, before_seq: int | None, limit: int
    ) -> list[Event]:
        """The last `limit` events of `type_` before `before_seq` (all if None), ascending."""
