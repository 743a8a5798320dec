"""Issue 11 #6 (remainder), in real Chromium: "Show my PIN" in the widget opens a conversation
that stays out of the agents' queue until the shopper writes; the agent can still link the PIN;
and the phone panel opened in an active chat says "connected" instead of offering a PIN.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.sides import AgentConsole, ShopperWidget

pytestmark = pytest.mark.browser


def queue_item(agent: AgentConsole, conversation_id: str) -> Any:
    return agent.page.locator(
        f'[data-testid="queue-item"][data-conversation-id="{conversation_id}"]'
    )


def show_pin(shopper: ShopperWidget) -> str:
    shopper.press(shopper.by("phone-toggle"))
    shopper.press(shopper.by("pin-show"))
    expect(shopper.by("pin-display")).not_to_have_text("")
    return shopper.by("pin-display").inner_text().replace(" ", "")


def test_a_shown_pin_stays_out_of_the_queue_until_the_shopper_writes(
    agent: AgentConsole, visitor: ShopperWidget, snap: Any
) -> None:
    shopper = visitor
    show_pin(shopper)
    conversation_id = shopper.conversation_id()
    agent.page.wait_for_timeout(500)
    expect(agent.by("queue-item")).to_have_count(0)
    snap("pin-shown")

    shopper.press(shopper.by("phone-close"))
    shopper.send_chat("Hello, can someone help?")
    expect(queue_item(agent, conversation_id)).to_have_count(1)
    agent.accept(conversation_id)
    expect(shopper.by("widget-panel")).to_have_attribute("data-status", "active")

    # Opening the phone panel in an active chat says "connected" instead of offering a PIN.
    shopper.press(shopper.by("phone-toggle"))
    expect(shopper.by("pin-connected")).to_be_visible()
    expect(shopper.by("pin-show")).to_be_hidden()
    snap("connected")


def test_the_agent_links_a_pin_that_never_entered_the_queue(
    agent: AgentConsole, visitor: ShopperWidget
) -> None:
    shopper = visitor
    pin = show_pin(shopper)
    agent.page.wait_for_timeout(300)
    expect(agent.by("queue-item")).to_have_count(0)
    agent.by("agent-pin-input").press_sequentially(pin)
    agent.press(agent.by("agent-pin-redeem"))
    agent.expect_selected(shopper.conversation_id())
    expect(shopper.by("pin-connected")).to_be_visible()
    expect(agent.by("queue-item")).to_have_count(0)
