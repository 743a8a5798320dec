"""The rooms of Socket.IO: who gets what, by name.

A conversation has two rooms, `c:<id>` for its shoppers and callers and `n:<id>` for its
agents (who also get internal events: notes); `a:<agent id>` is every console of one agent,
`agents` every console. `room_scope` tells the Redis broadcast which rooms belong together.
"""

from __future__ import annotations

from covisor.kernel.identity import Identity

AGENTS_ROOM = "agents"


def room_of(conversation_id: str) -> str:
    """The room of a conversation's shoppers and callers."""
    return f"c:{conversation_id}"


def agents_room_of(conversation_id: str) -> str:
    """The room of a conversation's agent sockets: they also get internal events (notes)."""
    return f"n:{conversation_id}"


def rooms_of(conversation_id: str) -> list[str]:
    """Every member socket of a conversation."""
    return [room_of(conversation_id), agents_room_of(conversation_id)]


def room_scope(room: str) -> str | None:
    """What a room is part of, for publishing to other processes only where it has members
    (broadcast.RedisBroadcast): a conversation, its shoppers' and agents' rooms together, or an
    agent's consoles; None for the agents' room and a socket's own."""
    kind, _, rest = room.partition(":")
    if not rest:
        return None
    if kind in ("c", "n"):
        return f"c:{rest}"
    return room if kind == "a" else None


def agent_room(agent_id: str) -> str:
    """Every console of one agent, on any process."""
    return f"a:{agent_id}"


def member_room(identity: Identity, conversation_id: str) -> str:
    return agents_room_of(conversation_id) if identity.is_agent else room_of(conversation_id)
