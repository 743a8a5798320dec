"""Live visitors in real Chromium: an agent watches a phone visitor browse three pages of the demo
shop and invites it; the visitor chats. Another visitor declines a rule's invitation and is not
asked twice; the shop's page reports an order."""

from __future__ import annotations

from playwright.sync_api import APIRequestContext, expect

from tests.e2e.conftest import Contexts, CovisorServer, Snap
from tests.e2e.sides import DESKTOP, PHONE, AgentConsole, ShopperWidget, Side


def browse(shopper: ShopperWidget, *paths: str) -> None:
    for path in paths:
        shopper.page.goto(f"{shopper.origin}{path}")
        expect(shopper.page.locator("#covisor-widget")).to_have_attribute(
            "data-visitor", "reported"
        )


def console(server: CovisorServer, contexts: Contexts, name: str) -> AgentConsole:
    agent = AgentConsole(contexts.new(name.lower(), DESKTOP).new_page(), server.url, name=name)
    agent.log_in(server.add_agent(name))
    return agent


def test_an_agent_sees_a_visitor_browse_and_invites_it_into_a_chat(
    server: CovisorServer, contexts: Contexts, sides: list[tuple[str, Side]], snap: Snap
) -> None:
    vera = console(server, contexts, "Vera")
    shopper = ShopperWidget(contexts.new("shopper", PHONE).new_page(), server.url)
    sides += [("agent", vera), ("shopper", shopper)]
    browse(shopper, "/demo", "/demo/boots", "/demo/cart")
    item = vera.by("visitor-item").filter(has=vera.page.get_by_text("3 pages"))
    expect(item).to_have_count(1)
    expect(item.get_by_text("Phone")).to_be_visible()
    expect(item.get_by_test_id("visitor-kind")).to_have_text("New")
    item.get_by_test_id("visitor-pages").click()
    expect(item.get_by_test_id("visitor-history").locator("li")).to_have_count(3)
    snap("browsing")

    item.get_by_test_id("visitor-invite").click()
    vera.by("invite-message").fill("Hi! Looking for boots? I can help with sizes.")
    vera.by("invite-send").click()
    expect(item.get_by_test_id("visitor-invitation")).to_have_text("Invitation shown")
    invitation = shopper.by("invitation")
    expect(invitation).to_be_visible()
    expect(shopper.by("invitation-from")).to_have_text("Vera")
    expect(shopper.by("invitation-message")).to_have_text(
        "Hi! Looking for boots? I can help with sizes."
    )
    snap("invited")
    shopper.press(shopper.by("invitation-accept"))
    expect(shopper.by("widget-panel")).to_be_visible()
    expect(shopper.message("Hi! Looking for boots? I can help with sizes.")).to_have_count(1)
    expect(vera.by("active-conversation")).to_have_count(1)
    shopper.page.evaluate("() => covisor.identify({name: 'Ana García'})")
    shopper.send_chat("Yes please, size 42?")
    expect(vera.message("Yes please, size 42?")).to_have_count(1)
    expect(item.get_by_test_id("visitor-chatting")).to_have_text("In a chat")
    expect(item.get_by_test_id("visitor-invite")).to_be_disabled()
    expect(item.get_by_test_id("visitor-name")).to_have_text("Ana García")
    snap("chatting")

    # Issue 24, 3: the chat ends, and the list says so; a caller by PIN is in a chat again.
    vera.press(vera.by("conversation-close"))
    vera.press(vera.by("conversation-close"))
    expect(item.get_by_test_id("visitor-chatting")).to_have_count(0)
    expect(item.get_by_test_id("visitor-invite")).to_be_enabled()
    vera.press(vera.by("agent-phone-new"))
    expect(vera.by("agent-pin-display")).not_to_have_text("")
    pin = vera.by("agent-pin-display").inner_text().replace(" ", "")
    shopper.press(shopper.by("phone-toggle"))
    shopper.by("pin-input").press_sequentially(pin)
    shopper.press(shopper.by("pin-redeem"))
    expect(item.get_by_test_id("visitor-chatting")).to_have_text("In a chat")
    expect(item.get_by_test_id("visitor-invite")).to_be_disabled()
    snap("calling")


def test_a_rule_invites_once_a_declined_invitation_stays_away_and_an_order_counts(
    server: CovisorServer,
    contexts: Contexts,
    api: APIRequestContext,
    sides: list[tuple[str, Side]],
    snap: Snap,
) -> None:
    rule = api.post(
        "/api/invitation-rules",
        data={
            "name": "Cart, one second",
            "conditions": {"url": "*/demo/cart*", "seconds": 1},
            "messages": {"en": "Questions before you pay?", "de": "Fragen vor dem Bezahlen?"},
        },
    )
    assert rule.status == 201, rule.text()
    rita = console(server, contexts, "Rita")
    sides.append(("agent", rita))
    shopper = ShopperWidget(
        contexts.new("shopper", {**PHONE, "locale": "de-DE"}).new_page(), server.url
    )
    sides.append(("shopper", shopper))
    browse(shopper, "/demo", "/demo/cart")
    expect(shopper.by("invitation-message")).to_have_text("Fragen vor dem Bezahlen?")
    snap("rule")
    shopper.press(shopper.by("invitation-decline"))
    expect(shopper.by("invitation")).to_be_hidden()
    expect(rita.by("visitor-invitation")).to_have_text("Invitation declined")
    browse(shopper, "/demo/cart")
    shopper.page.wait_for_timeout(1800)
    expect(shopper.by("invitation")).to_be_hidden()

    order = shopper.page.evaluate(
        "() => covisor.trackConversion({value: 49.9, currency: 'EUR', order_id: 'e2e-1'})"
    )
    assert order["value"] == "49.90" and order["assisted"] is False
    again = shopper.page.evaluate(
        "() => covisor.trackConversion({value: 49.9, currency: 'EUR', order_id: 'e2e-1'})"
    )
    assert again == {"order_id": "e2e-1"}, "the same order counts once"
    api.delete(f"/api/invitation-rules/{rule.json()['id']}")
