"""How the browser client reaches the server: a WebSocket at once, long-polling where none opens."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Request, expect

from tests.e2e.conftest import Contexts, CovisorServer
from tests.e2e.network import REFUSED_WEBSOCKET, SOCKET_IO
from tests.e2e.sides import DESKTOP, PHONE, AgentConsole, ShopperWidget

pytestmark = pytest.mark.browser


def polls(context: BrowserContext) -> list[str]:
    """The Engine.IO long-polling requests the context's pages make, as they are made."""
    seen: list[str] = []

    def note(request: Request) -> None:
        if SOCKET_IO.search(request.url) and "transport=polling" in request.url:
            seen.append(request.url)

    context.on("request", note)
    return seen


def console(server: CovisorServer, contexts: Contexts) -> tuple[AgentConsole, list[str]]:
    context = contexts.new("agent", DESKTOP)
    polled = polls(context)
    agent = AgentConsole(context.new_page(), server.url, name="Alex")
    agent.log_in(server.add_agent("Alex"))
    return agent, polled


def chat(
    agent: AgentConsole, context: BrowserContext, server: CovisorServer, first: str, reply: str
) -> ShopperWidget:
    """A shopper in `context` writes `first`, the agent takes the chat and answers `reply`;
    each sees the other's line."""
    shopper = ShopperWidget(context.new_page(), server.url)
    shopper.open_widget()
    shopper.start_chat(first)
    agent.accept(shopper.conversation_id())
    expect(agent.message(first)).to_be_visible()
    agent.send_chat(reply)
    expect(shopper.message(reply)).to_be_visible()
    return shopper


def test_the_widget_and_the_console_talk_over_a_websocket_without_polling_first(
    server: CovisorServer, contexts: Contexts
) -> None:
    agent, agent_polled = console(server, contexts)
    context = contexts.new("shopper", PHONE)
    shopper_polled = polls(context)
    shopper = chat(agent, context, server, "Does it come in blue?", "It does.")
    assert shopper.frames() and agent.frames(), "both talked over a WebSocket"
    assert shopper_polled == [] and agent_polled == []


def test_where_no_websocket_opens_the_widget_falls_back_to_long_polling(
    server: CovisorServer, contexts: Contexts
) -> None:
    agent, _ = console(server, contexts)
    context = contexts.new("shopper", PHONE)
    polled = polls(context)

    context.add_init_script(REFUSED_WEBSOCKET)
    shopper = chat(agent, context, server, "My proxy blocks WebSockets.", "Still here.")
    assert polled, "the shopper's widget talked over long-polling"
    assert shopper.frames() == []
