"""A whole sale as a new shop would try it (issue 23's "Done when"), in real Chromium against
`covisor serve` started without any catalogue: the admin, whose console is in Spanish, points
the Catalogue feed panel at the demo shop's feed URL and watches it import; a shopper on a phone
on the demo shop "Senda", chatting in Polish, asks about the trail shoe; the agent searches
"zapatilla roja 42" as people type it and shows it; the shopper switches the colour on the
viewer's card and adds it to the shop's cart from there; the agent sees the cart change above
the chat; the shopper checks out; the Reports panel credits the chat with the sale.
Screenshots of every step go to tests/artifacts/e2e/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Request, expect

from tests.e2e.conftest import ARTIFACTS, SERVER_LIMITS, Contexts, CovisorServer, Snap, served
from tests.e2e.sides import DESKTOP, PHONE, AgentConsole, ShopperWidget, Side
from tests.e2e.test_reports import rows

pytestmark = pytest.mark.browser

IMPORT_MS = 120_000
"""The demo feed's 265 pictures are fetched and processed on two cores: some seconds."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CovisorServer]:
    """`covisor serve` with the demo admin and no catalogue yet, allowed to fetch its own
    demo shop's feed on loopback."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    data_dir = tmp_path_factory.mktemp("covisor-whole-sale")
    env = {
        "COVISOR_DEMO_SHOP": "0",
        "COVISOR_OUTBOUND_ALLOW_INSECURE": "1",
        "COVISOR_CATALOGUE_CHECK_EVERY": "3600",
    }
    with served(data_dir, ARTIFACTS / "server-test_whole_sale.log", env) as url:
        token = (data_dir / "demo-agent.txt").read_text().strip().splitlines()[-1]
        yield CovisorServer(url, data_dir, token, dict(SERVER_LIMITS))


def searched_for(request: Request, text: str) -> bool:
    """A product search request for the whole of `text`."""
    if "/api/catalogue/products?" not in request.url:
        return False
    return parse_qs(urlsplit(request.url).query).get("q", [""])[0].split() == text.split()


def test_a_feed_imported_a_shoe_shown_switched_added_ordered_and_credited(
    server: CovisorServer, contexts: Contexts, sides: list[tuple[str, Side]], snap: Snap
) -> None:
    page = contexts.new("agent-es", DESKTOP).new_page()
    agent = AgentConsole(page, server.url, "Demo Agent")
    page.goto(f"{server.url}/agent?lang=es")
    page.get_by_test_id("agent-use-token").click()
    page.get_by_test_id("agent-token-input").fill(server.demo_token)
    page.get_by_test_id("agent-login").click()
    expect(agent.by("connection-state")).to_have_attribute("data-online", "true")
    sides.append(("agent-es", agent))

    # The admin points Covisor at the shop's feed and watches the import to its end.
    expect(agent.by("product-search-status")).to_have_text(re.compile(r"\S"))
    agent.by("open-feed").click()
    panel = agent.by("feed-panel")
    agent.by("feed-url").fill(f"{server.url}/demo/shop/feed.xml")
    agent.by("feed-import-now").click()
    live = panel.get_by_test_id("feed-live")
    expect(live).to_have_attribute("data-state", "running")
    snap("importing")
    expect(live).to_have_attribute("data-state", "done", timeout=IMPORT_MS)
    row = panel.get_by_test_id("feed-import").first
    expect(row.get_by_test_id("feed-import-state")).to_have_text("Terminada")
    expect(row.get_by_test_id("feed-import-counts")).to_contain_text("209")
    snap("imported")
    page.keyboard.press("Escape")
    expect(agent.by("feed-dialog")).to_be_hidden()

    # A shopper on a phone, on the shoe's page, chats in Polish.
    phone = contexts.new("shopper-pl", PHONE).new_page()
    shopper = ShopperWidget(phone, server.url)
    sides.append(("shopper-pl", shopper))
    phone.goto(f"{server.url}/demo/shop/products/ZT?lang=pl")
    expect(phone.locator("#covisor-widget")).to_have_attribute("data-visitor", "reported")
    shopper.press(shopper.by("widget-launcher"))
    shopper.start_chat("Dzień dobry, czy macie te buty w rozmiarze 42?")
    agent.accept(shopper.conversation_id())
    expect(shopper.by("widget-panel")).to_have_attribute("data-status", "active")
    expect(agent.by("looking-at-title")).to_have_text("Zapatilla de trail")

    # The agent types as people type, and shows the red 42.
    box = agent.by("product-search")
    typed = "Zapatílla ROJA 42"
    with page.expect_request(lambda request: searched_for(request, typed)):
        box.press_sequentially(typed, delay=30)
    result = agent.by("product-result").first
    expect(result).to_have_attribute("data-variant-id", "ZT-ROJ-42")
    box.press("Enter")
    for side in (agent, shopper):
        card = side.by("product-card")
        expect(card).to_have_attribute("data-variant-id", "ZT-ROJ-42")
    expect(shopper.by("product-availability")).to_have_text("Dostępny")
    expect(agent.by("product-availability")).to_have_text("En stock")
    snap("shown")

    # The shopper switches the colour on the card, and the agent's viewer follows.
    navy = '[data-testid="product-chip"][data-option="color"][data-value="Azul marino"]'
    shopper.press(shopper.page.locator(navy))
    for side in (shopper, agent):
        expect(side.by("product-card")).to_have_attribute("data-variant-id", "ZT-AZM-42")
    snap("switched")

    # Added to the shop's own cart from the viewer: the agent sees the cart change.
    add = shopper.by("product-card").get_by_test_id("add-to-cart")
    expect(add).to_have_text("Dodaj do koszyka")
    shopper.press(add)
    expect(
        agent.page.locator('[data-testid="system-message"][data-type="cart-added"]')
    ).to_have_count(1)
    expect(agent.by("cart-total")).to_have_text(re.compile(r"^89,00\s€$"))
    expect(agent.by("cart-count")).to_have_text("Artículos: 1")
    agent.by("cart-panel").locator("summary").click()
    expect(agent.by("cart-item")).to_have_text(
        [re.compile(r"^1 ×\s*Zapatilla de trail azul marino 42\s*89,00\s€$")]
    )
    snap("in-the-cart")

    # The shopper checks out on the shop; the order is the chat's.
    phone.goto(f"{server.url}/demo/shop/cart?lang=pl")
    expect(shopper.by("widget-panel")).to_be_visible()
    shopper.press(shopper.by("widget-close"))
    shopper.press(shopper.by("shop-checkout"))
    with phone.expect_response("**/api/conversions") as answer:
        shopper.press(shopper.by("shop-confirm"))
    assert answer.value.ok, answer.value.text()
    assert answer.value.json()["assisted"] is True
    expect(shopper.by("shop-order-number")).to_have_text(re.compile(r"^SEN-"))
    snap("ordered")

    agent.by("open-reports").click()
    expect(agent.by("reports-dialog")).to_be_visible()
    products = agent.by("reports-products")
    expect(products).to_be_visible()
    # Shown twice (the agent's red, the shopper's navy), added once, one order after it.
    assert [row[1] for row in rows(products)] == [
        "2",
        "0",
        "1",
        "1",
        "EUR 1 × 89.00 (89.00)",
    ]
    assert rows(agent.by("reports-products-agents"))[0][0] == "Demo Agent"
    products.scroll_into_view_if_needed()
    snap("credited")
