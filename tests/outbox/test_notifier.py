"""Web Push alerts reach the agents whose console is closed, and only them."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.conftest import Harness
from tests.outbox.test_push import Browser, PushService, push_service, server, subscribe

__all__ = ["push_service", "server"]


async def delivered(service: PushService, count: int) -> None:
    async def enough() -> None:
        while len(service.received) < count:
            service.arrived.clear()
            await service.arrived.wait()

    await asyncio.wait_for(enough(), 5)


async def quiet(service: PushService, count: int) -> None:
    """Nothing beyond `count` deliveries arrives within a moment."""
    await asyncio.sleep(0.3)
    assert len(service.received) == count, [r[0] for r in service.received]


def payloads(service: PushService, browsers: dict[str, Browser]) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for name, _, body in service.received:
        found.setdefault(name, []).append(browsers[name].decrypt(body))
    return found


async def test_a_new_chat_and_a_message_are_pushed_to_agents_without_a_console(
    server: Harness, push_service: PushService
) -> None:
    names = ("away", "closed", "offline", "watching")
    tokens = {name: await server.agent_token(name.title()) for name in names}
    browsers = {name: Browser(push_service.endpoint(name)) for name in names}
    for name in names:
        await subscribe(server, tokens[name], browsers[name])
    watching = await server.peer(tokens["watching"])
    for name in ("away", "offline"):
        console = await server.peer(tokens[name])
        status = "away" if name == "away" else "offline"
        await server.request("PUT", "/api/me/status", tokens[name], json={"status": status})
        await console.close()
        server.peers.remove(console)
    await asyncio.sleep(0.1)

    opened = await server.open_conversation(name="Ana")
    await delivered(push_service, 2)
    await quiet(push_service, 2)
    alerts = payloads(push_service, browsers)
    assert set(alerts) == {"away", "closed"}, "not the one looking, not the one gone offline"
    assert alerts["closed"][0] == {
        "tag": f"conversation-{opened['id']}",
        "url": "/agent",
        "title_key": "alerts.new_chat.title",
        "body_key": "alerts.new_chat.body",
        "params": {"name": "Ana"},
    }

    await server.accepted(opened["id"], tokens["closed"])
    shopper = await server.peer(opened["token"])
    await shopper.ok("join", {"conversation_id": opened["id"]})
    text = "Do you have it in red? " + "x" * 200
    await shopper.ok("chat.send", {"conversation_id": opened["id"], "text": text})
    await delivered(push_service, 3)
    await quiet(push_service, 3)
    (message,) = payloads(push_service, browsers)["closed"][1:]
    assert message["title_key"] == "alerts.new_message.title"
    assert message["params"] == {"name": "Ana"}
    assert message["body"] == text[:100], "a short preview, never the whole message"

    await server.accepted((await server.open_conversation())["id"], tokens["watching"])
    await watching.ok("time")
    before = len(push_service.received)
    mine = await server.open_conversation()
    await server.accepted(mine["id"], tokens["watching"])
    customer = await server.peer(mine["token"])
    await customer.ok("join", {"conversation_id": mine["id"]})
    await customer.ok("chat.send", {"conversation_id": mine["id"], "text": "Hello?"})
    await asyncio.sleep(0.3)
    assert not any(name == "watching" for name, _, _ in push_service.received[before:]), (
        "an agent with a console open hears it there"
    )
