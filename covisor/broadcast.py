"""Room broadcasts with one encoding and no per-recipient tasks when everything is in-process.

python-socketio's `emit` to a room creates a task per recipient and waits for them all; at stroke
rates that bookkeeping cost as much as the relay itself (bench/relay.py). With the in-memory
manager every recipient is a local socket, so the packet is encoded once and queued on each
socket directly, in order. With Redis (or any pub/sub manager) rooms span processes, and `emit`
is the only way to reach the others.
"""

from __future__ import annotations

from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet as sio_packet

NAMESPACE = "/"


class Broadcaster:
    def __init__(self, sio: socketio.AsyncServer) -> None:
        self._sio = sio
        self._direct = type(sio.manager) is socketio.AsyncManager

    async def to_room(self, event: str, data: Any, room: str, skip: str | None = None) -> None:
        """Send to every socket in `room` but the one with sid `skip`."""
        if not self._direct:
            await self._sio.emit(event, data, room=room, skip_sid=skip)
            return
        manager = self._sio.manager
        encoded = self._sio.packet_class(
            sio_packet.EVENT, namespace=NAMESPACE, data=[event, data]
        ).encode()
        message = eio_packet.Packet(eio_packet.MESSAGE, encoded)
        for sid, eio_sid in list(manager.get_participants(NAMESPACE, room)):
            if sid != skip:
                await self._sio.eio.send_packet(eio_sid, message)
