"""The shopper in the shop, seen from the console, in real Chromium against `covisor serve`.

The shop's page (the demo page, calling `covisor.setProduct` and `covisor.setCart` as a shop's
product page does) tells what the shopper looks at and has in the cart; the agent sees it above
the chat and in the visitors list, shows the product looked at with one click, opens the cart
and shows one of its lines, and sends a product found by the search into the chat, where the
shopper gets it as a card. Screenshots (console on a desktop and on a phone, widget on a phone)
go to tests/artifacts/e2e/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Playwright, expect

from tests.e2e.conftest import ARTIFACTS, CovisorServer
from tests.e2e.feed_shop import GROUP, RED_42, catalogue_server
from tests.e2e.sides import AgentConsole, ShopperWidget

pytestmark = pytest.mark.browser

Pair = tuple[AgentConsole, ShopperWidget]

CART: dict[str, Any] = {
    "items": [
        {
            "product_id": GROUP,
            "variant_id": RED_42,
            "title": "Zapatilla de trail Rápida roja 42",
            "quantity": 2,
            "price": "69.00",
        },
        {
            "product_id": "CAL-1",
            "title": "Calcetines de lana merino",
            "quantity": 1,
            "price": "14.50",
        },
    ],
    "total": "152.50",
    "currency": "EUR",
}


@pytest.fixture(scope="module")
def server(
    playwright: Playwright, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CovisorServer]:
    data_dir = tmp_path_factory.mktemp("covisor-commerce")
    with catalogue_server(playwright, data_dir, "test_console_commerce") as (server, _):
        yield server


def test_the_agent_sees_what_the_shopper_looks_at_and_has_in_the_cart(
    accepted: Pair, snap: Any
) -> None:
    agent, shopper = accepted
    panel = agent.by("shopper-panel")
    expect(panel).to_be_hidden()

    # The shop's product page tells which variant it is about: the agent sees it and shows it.
    shopper.page.evaluate("id => covisor.setProduct(id)", RED_42)
    expect(agent.by("looking-at-title")).to_have_text("Zapatilla de trail Rápida")
    expect(agent.by("looking-at-price")).to_have_text("€69.00")
    visitor = agent.by("visitor-item").filter(has=agent.page.get_by_text("In a chat"))
    expect(visitor.get_by_test_id("visitor-product")).to_have_text(
        "Looking at Zapatilla de trail Rápida"
    )
    agent.press(agent.by("looking-at-show"))
    assert agent.sent("viewer.show")[-1] == {
        "conversation_id": shopper.conversation_id(),
        "product_id": RED_42,
    }
    for side in (agent, shopper):
        card = side.by("product-card")
        expect(card).to_have_attribute("data-product-id", GROUP)
        expect(card).to_have_attribute("data-variant-id", RED_42)

    # The cart: its total and units at a glance, the lines when opened, highlighted on change.
    shopper.page.evaluate("cart => covisor.setCart(cart)", CART)
    expect(agent.by("cart-total")).to_have_text("€152.50")
    expect(agent.by("cart-count")).to_have_text("Items: 3")
    expect(panel).to_have_class(re.compile(r"cv-shopper--changed"))
    expect(visitor.get_by_test_id("visitor-cart")).to_have_text("Cart €152.50")
    expect(agent.by("cart-item")).to_have_count(2)
    expect(agent.by("cart-item").first).to_be_hidden()
    agent.by("cart-panel").locator("summary").click()
    lines = agent.by("cart-item")
    expect(lines).to_have_text(
        [
            re.compile(r"^2 ×\s*Zapatilla de trail Rápida roja 42\s*€138\.00$"),
            re.compile(r"^1 ×\s*Calcetines de lana merino\s*€14\.50$"),
        ]
    )
    snap("cart")
    expect(panel).not_to_have_class(re.compile(r"cv-shopper--changed"))

    smaller = {**CART, "items": CART["items"][1:], "total": "14.50"}
    shopper.page.evaluate("cart => covisor.setCart(cart)", smaller)
    expect(agent.by("cart-total")).to_have_text("€14.50")
    expect(agent.by("cart-count")).to_have_text("Items: 1")
    expect(panel).to_have_class(re.compile(r"cv-shopper--changed"))
    agent.press(agent.by("cart-item-show"))
    expect(shopper.by("product-title")).to_have_text("Calcetines de lana merino")

    # The search sends a product into the chat: the button, and Shift+Enter on the active one.
    box = agent.by("product-search")
    box.fill("merino")
    result = agent.by("product-result")
    expect(result).to_have_count(1)
    expect(result).to_have_attribute("data-product-id", "CAL-1")
    agent.press(result.get_by_test_id("product-result-send"))
    sent = shopper.by("product-message")
    expect(sent).to_have_count(1)
    expect(sent.locator(".cv-sent-title")).to_have_text("Calcetines de lana merino")
    expect(agent.by("product-message")).to_have_count(1)
    box.fill("rapida azul 43")
    expect(result).to_have_count(1)
    expect(result).to_have_attribute("data-variant-id", "ZT-A43")
    expect(result).to_have_attribute("aria-selected", "true")
    box.press("Shift+Enter")
    expect(sent).to_have_count(2)
    expect(sent.nth(1)).to_have_attribute("data-variant-id", "ZT-A43")
    assert [p.get("variant_id") for p in agent.sent("product.send")] == ["CAL-1", "ZT-A43"]
    snap("sent")

    # On a phone the panel sits above the chat of the Chat tab.
    agent.page.set_viewport_size({"width": 390, "height": 844})
    agent.press(agent.by("tab-chat"))
    expect(panel).to_be_visible()
    expect(agent.by("cart-total")).to_be_visible()
    expect(panel).not_to_have_class(re.compile(r"cv-shopper--changed"))
    agent.page.screenshot(path=ARTIFACTS / "console_commerce-phone-chat.png")
