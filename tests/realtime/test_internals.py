"""The internals of python-socketio and python-engineio that Covisor overrides or calls
(realtime/wire.py, websocket.py, broadcast.py), as the pinned versions have them.

pyproject.toml pins both packages to the versions tested; an upgrade past the pin that moves or
reshapes one of these fails here, naming it, before any behaviour test fails in a puzzling way.
"""

from __future__ import annotations

import inspect
from typing import Any

import engineio
import pytest
import socketio
from engineio import async_socket
from engineio.async_drivers import aiohttp as eio_aiohttp

from covisor.realtime import broadcast, websocket, wire

OVERRIDDEN_OR_CALLED: list[tuple[type[Any], str, list[str]]] = [
    (socketio.AsyncServer, "_handle_eio_message", ["self", "eio_sid", "data"]),
    (socketio.AsyncServer, "_handle_event", ["self", "eio_sid", "namespace", "id", "data"]),
    (socketio.packet.Packet, "reconstruct_binary", ["data", "attachments"]),
    (socketio.AsyncManager, "basic_enter_room", ["self", "sid", "namespace", "room", "eio_sid"]),
    (socketio.AsyncManager, "basic_leave_room", ["self", "sid", "namespace", "room"]),
    (socketio.AsyncManager, "enter_room", ["self", "sid", "namespace", "room", "eio_sid"]),
    (socketio.AsyncManager, "set_server", ["self", "server"]),
    (socketio.AsyncManager, "sid_from_eio_sid", ["self", "eio_sid", "namespace"]),
    (socketio.AsyncManager, "is_connected", ["self", "sid", "namespace"]),
    (socketio.AsyncRedisManager, "_publish", ["self", "data"]),
    (socketio.AsyncRedisManager, "_redis_listen_with_retries", ["self"]),
    (socketio.AsyncRedisManager, "_listen", ["self"]),
    (socketio.AsyncRedisManager, "_redis_connect", ["self"]),
    (eio_aiohttp.WebSocket, "__init__", ["self", "handler", "server"]),
    (eio_aiohttp.WebSocket, "__call__", ["self", "environ"]),
    (engineio.AsyncServer, "send_packet", ["self", "sid", "pkt"]),
    (engineio.AsyncServer, "start_background_task", ["self", "target", "args", "kwargs"]),
    (async_socket.AsyncSocket, "check_ping_timeout", ["self"]),
    (async_socket.AsyncSocket, "receive", ["self", "pkt"]),
    (async_socket.AsyncSocket, "close", ["self", "wait", "abort", "reason"]),
    (async_socket.AsyncSocket, "send", ["self", "pkt"]),
]


@pytest.mark.parametrize(
    ("owner", "name", "parameters"),
    OVERRIDDEN_OR_CALLED,
    ids=[f"{owner.__name__}.{name}" for owner, name, _ in OVERRIDDEN_OR_CALLED],
)
def test_an_internal_keeps_its_shape(owner: type[Any], name: str, parameters: list[str]) -> None:
    where = f"{owner.__module__}.{owner.__qualname__}.{name}"
    found = getattr(owner, name, None)
    assert found is not None, f"{where} is gone: Covisor overrides or calls it"
    assert list(inspect.signature(found).parameters) == parameters, (
        f"{where} changed its parameters to {list(inspect.signature(found).parameters)}; "
        f"Covisor was written against {parameters}"
    )


def test_engineio_servers_keep_a_driver_table_covisor_can_replace() -> None:
    server = engineio.AsyncServer(async_mode="aiohttp")
    assert "websocket" in getattr(server, "_async", {}), (
        "engineio.AsyncServer._async['websocket'] is gone: websocket.install replaces it"
    )
    websocket.install(server)
    assert server._async["websocket"] is websocket.WebSocket
    assert hasattr(server.reason, "TRANSPORT_CLOSE"), "engineio.AsyncServer.reason changed"


def test_the_overriding_classes_still_subclass_what_they_override() -> None:
    assert issubclass(wire.Server, socketio.AsyncServer)
    assert issubclass(wire.Packet, socketio.packet.Packet)
    assert issubclass(broadcast.RedisBroadcast, socketio.AsyncRedisManager)
    assert issubclass(websocket.WebSocket, eio_aiohttp.WebSocket)
