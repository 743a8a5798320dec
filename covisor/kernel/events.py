"""The sequenced event: the one thing the server stores, broadcasts and replays.

A conversation is the ordered list of its events; its state is what applying them in order gives.
`Draft` is what the domain decides should happen; the journal stamps it with the next `seq`, the
server time and the actor, which turns it into an `Event`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec


@dataclass(frozen=True)
class Draft:
    """An event the domain has accepted but that has no place in the order yet."""

    type: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Existing:
    """The command repeats one already applied (e.g. a chat message resent after a reconnect)."""

    seq: int


@dataclass(frozen=True)
class Points:
    """Points added to an open stroke (viewer.py's sketch): relayed to the conversation at once,
    neither sequenced nor stored, as its `stroke.end` makes them durable. `index`: where the
    first of them goes in the stroke's points."""

    conversation_id: str
    stroke_id: str
    index: int
    points: list[tuple[float, float]]

    def to_wire(self) -> dict[str, Any]:
        """The `points` push."""
        return {
            "conversation_id": self.conversation_id,
            "stroke_id": self.stroke_id,
            "index": self.index,
            "points": self.points,
        }


class Event(msgspec.Struct, frozen=True):
    conversation_id: str
    seq: int
    type: str
    at: float
    actor: dict[str, str]
    data: dict[str, Any]


def encode(event: Event) -> bytes:
    return msgspec.json.encode(event)


def decode(raw: bytes | str) -> Event:
    return msgspec.json.decode(raw, type=Event)


def to_wire(event: Event) -> dict[str, Any]:
    """The plain mapping sent to clients (python-socketio serialises dicts)."""
    return msgspec.to_builtins(event)  # type: ignore[no-any-return]


INTERNAL_TYPES = frozenset({"note.added"})
"""Event types for agents only: shoppers and callers get `redacted` stand-ins."""


def redacted(event: Event) -> Event:
    """What a shopper or caller gets of an internal event: its place in the order (so their
    seq has no gap) and nothing else."""
    return Event(event.conversation_id, event.seq, "internal", event.at, {}, {})


def for_reader(event: Event, is_agent: bool) -> Event:
    """`event` as a reader may see it."""
    return event if is_agent or event.type not in INTERNAL_TYPES else redacted(event)
