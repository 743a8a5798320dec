"""Products of the shop's feed in the shared viewer, in real Chromium against `covisor serve`.

A loopback shop (feed_shop.py) serves a Google RSS feed and real JPEG pictures; the server
(allowed onto loopback with `COVISOR_OUTBOUND_ALLOW_INSECURE`) imports it as an admin would.
The agent on a desktop finds the red trail shoe by typing (accents and case as people type
them) and shows it; the shopper on a phone sees its card below the picture and switches
colour, and the agent's viewer follows: the picture, the price and the chips change on both
sides, because the shopper's choice went through the server. Screenshots of both sides (and
of the console on a phone) go to tests/artifacts/e2e/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import (
    APIRequestContext,
    Locator,
    Page,
    Playwright,
    Request,
    expect,
)

from tests.e2e.conftest import ARTIFACTS, CovisorServer
from tests.e2e.feed_shop import BLUE_42, GROUP, catalogue_server
from tests.e2e.polling import eventually
from tests.e2e.sides import DESKTOP, PHONE, AgentConsole, ShopperWidget, Side

pytestmark = pytest.mark.browser

Pair = tuple[AgentConsole, ShopperWidget]

TYPED = "ZAPATÍLLA  Rója"
"""What the agent types: another case, accents where the feed has none and one it has not."""


@pytest.fixture(scope="module")
def server(
    playwright: Playwright, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CovisorServer]:
    """`covisor serve` allowed to fetch from loopback, with the shop's feed imported."""
    data_dir = tmp_path_factory.mktemp("covisor-products")
    with catalogue_server(playwright, data_dir, "test_product_card") as (server, _):
        yield server


@pytest.fixture(scope="module")
def pictures(api: APIRequestContext) -> dict[str, str]:
    """The shoe's picture ids by what they show: `red`, `blue` (each variant's first) and
    `sole` (the one they share), from its card."""
    card = api.get(f"/api/catalogue/products/{GROUP}").json()
    firsts = {variant["color"]: variant["pictures"][0] for variant in card["variants"]}
    shared = set.intersection(*(set(variant["pictures"]) for variant in card["variants"]))
    assert len(card["pictures"]) == 3 and len(shared) == 1, card
    return {"red": firsts["Rojo"], "blue": firsts["Azul"], "sole": shared.pop()}


def chip(side: Side, option: str, value: str) -> Locator:
    return side.page.locator(
        f'[data-testid="product-chip"][data-option="{option}"][data-value="{value}"]'
    )


def thumbnail(side: Side, picture_id: str) -> Locator:
    return side.page.locator(f'[data-testid="product-picture"][data-picture-id="{picture_id}"]')


def shows(side: Side, picture_id: str, variant_id: str) -> None:
    """`side`'s viewer shows that picture of the shoe, its card that variant."""
    side.wait_image_loaded(f"/api/catalogue/pictures/{picture_id}/display_webp")
    card = side.by("product-card")
    expect(card).to_have_attribute("data-product-id", GROUP)
    expect(card).to_have_attribute("data-variant-id", variant_id)
    expect(thumbnail(side, picture_id)).to_have_attribute("aria-pressed", "true")


def price_reads(side: Side, now: str | re.Pattern[str], was: str | None) -> None:
    price = side.by("product-price")
    expect(price.locator(".cv-price-now")).to_have_text(now)
    if was is None:
        expect(price.locator("del")).to_have_count(0)
    else:
        expect(price.locator("del")).to_contain_text(was)


def card_placement(side: Side) -> str:
    """Where the card sits: "beside" the picture or "below" it."""
    stage, card = side.by("viewer-stage").bounding_box(), side.by("product-card").bounding_box()
    assert stage and card and card["width"] > 0 and card["height"] > 0, (stage, card)
    if card["x"] >= stage["x"] + stage["width"] - 1:
        return "beside"
    assert card["y"] >= stage["y"] + stage["height"] - 1, (stage, card)
    return "below"


def searched_for(request: Request, text: str) -> bool:
    """A product search request for the whole of `text` (spaces as the client sends them)."""
    if "/api/catalogue/products?" not in request.url:
        return False
    asked = parse_qs(urlsplit(request.url).query).get("q", [""])[0]
    return asked.split() == text.split()


def search(agent: AgentConsole, text: str) -> list[str]:
    """Type `text` in the product search key by key, until the search for all of it has gone
    out (Enter before that searches again instead of showing); returns the list the search
    requests made from now on are added to."""
    asked: list[str] = []

    def record(request: Request) -> None:
        if "/api/catalogue/products?" in request.url:
            asked.append(request.url)

    agent.page.on("request", record)
    box = agent.by("product-search")
    box.fill("")
    with agent.page.expect_request(lambda request: searched_for(request, text)):
        box.press_sequentially(text, delay=30)
    return asked


def test_the_agent_finds_the_shoe_and_the_shopper_switches_its_colour(
    accepted: Pair, pictures: dict[str, str], snap: Any
) -> None:
    agent, shopper = accepted
    expect(agent.by("product-result")).to_have_count(4)
    asked = search(agent, TYPED)
    result = agent.by("product-result")
    expect(result).to_have_count(1)
    expect(result).to_have_attribute("data-variant-id", "ZT-R41")
    expect(result.get_by_test_id("product-result-title")).to_have_text(
        "Zapatilla de trail Rápida roja 41"
    )
    expect(result.locator("del")).to_contain_text("€89.00")
    expect(agent.by("product-search-status")).to_have_text("Products found: 1")
    # Debounced: fewer searches than keys, and the last one for the whole text.
    assert 1 <= len(asked) < len(TYPED), asked
    assert re.search(r"q=ZAPAT%C3%8DLLA(\+|%20)+R%C3%B3ja", asked[-1]), asked
    expect(result).to_have_attribute("aria-selected", "true")
    snap("searched")

    agent.by("product-search").press("ArrowDown")
    agent.by("product-search").press("Enter")
    assert agent.sent("viewer.show")[-1] == {
        "conversation_id": shopper.conversation_id(),
        "product_id": GROUP,
        "variant_id": "ZT-R41",
    }
    for side in (agent, shopper):
        shows(side, pictures["red"], "ZT-R41")
        expect(side.by("product-title")).to_have_text("Zapatilla de trail Rápida")
        expect(side.by("product-brand")).to_have_text("Montaña Viva")
        price_reads(side, "€69.00", "€89.00")
        expect(side.by("product-availability")).to_have_text("In stock")
        expect(chip(side, "color", "Rojo")).to_have_attribute("aria-pressed", "true")
        expect(chip(side, "size", "41")).to_have_attribute("aria-pressed", "true")
        expect(chip(side, "size", "43")).to_be_disabled()
        link = side.by("product-link")
        expect(link).to_have_attribute("href", re.compile(r"/p/zapatilla-rapida-roja-41$"))
        expect(link).to_have_attribute("target", "_blank")
        expect(link).to_have_attribute("rel", "noopener noreferrer")
        # No `covisor.onAddToCart` on this page: nothing to add with.
        expect(side.by("add-to-cart")).to_have_count(0)
    sizes = shopper.page.locator('[data-testid="product-chip"][data-option="size"]')
    expect(sizes).to_have_text(["41", "42", "43"])
    assert card_placement(agent) == "beside"
    assert card_placement(shopper) == "below"
    snap("shown")

    # The shopper switches colour: through the server, so the agent's viewer follows.
    shopper.press(chip(shopper, "color", "Azul"))
    eventually(lambda: _acked(shopper, {"product_id": GROUP, "variant_id": BLUE_42}))
    assert "image" not in shopper.sent("viewer.show")[-1]
    for side in (shopper, agent):
        shows(side, pictures["blue"], BLUE_42)
        price_reads(side, "€95.00", None)
        expect(chip(side, "color", "Azul")).to_have_attribute("aria-pressed", "true")
        expect(chip(side, "color", "Rojo")).to_have_attribute("aria-pressed", "false")
        expect(chip(side, "size", "42")).to_have_attribute("aria-pressed", "true")
        expect(chip(side, "size", "41")).to_be_disabled()
        expect(side.by("product-link")).to_have_attribute(
            "href", re.compile(r"/p/zapatilla-rapida-azul-42$")
        )
    snap("switched")

    # The agent shows the sole, of every variant: the variant stays.
    agent.press(thumbnail(agent, pictures["sole"]))
    for side in (agent, shopper):
        shows(side, pictures["sole"], BLUE_42)
    # The shopper picks a size by keyboard: the focus stays on it when the card redraws, and
    # the sole stays on show (the other size has it too).
    chip(shopper, "size", "43").focus()
    shopper.page.keyboard.press("Enter")
    for side in (shopper, agent):
        shows(side, pictures["sole"], "ZT-A43")
        expect(side.by("product-availability")).to_have_text("On back order")
    expect(chip(shopper, "size", "43")).to_be_focused()
    snap("backorder")

    # The console on a phone: the card below the picture, the search in the Media tab.
    agent.page.set_viewport_size({"width": 390, "height": 844})
    agent.press(agent.by("tab-viewer"))
    expect(agent.by("product-card")).to_be_visible()
    assert card_placement(agent) == "below"
    agent.page.screenshot(path=ARTIFACTS / "product_card-console-phone-viewer.png")
    agent.press(agent.by("tab-media"))
    expect(agent.by("product-search")).to_be_visible()
    agent.page.screenshot(path=ARTIFACTS / "product_card-console-phone-media.png")


def _acked(side: Side, wanted: dict[str, str]) -> None:
    """`side` sent a `viewer.show` with `wanted` and the server took it."""
    side.page.wait_for_timeout(20)  # Playwright delivers the socket's frames while it works.
    sent = [
        (payload, ack)
        for payload, ack in side.acks("viewer.show")
        if payload.items() >= wanted.items()
    ]
    assert sent and sent[-1][1] and sent[-1][1].get("ok") is True, side.acks("viewer.show")


def test_the_search_filters_by_stock_and_brand_and_escape_clears_it(
    agent: AgentConsole, snap: Any
) -> None:
    titles = agent.by("product-result-title")
    expect(titles).to_have_text(
        [
            "Bota de montaña Cumbre",
            "Calcetines de lana merino",
            "Camiseta técnica Brisa",
            re.compile(r"^Zapatilla de trail Rápida "),
        ]
    )
    expect(agent.by("product-brand-filter").locator("option")).to_have_count(4)
    agent.by("product-in-stock").check()
    expect(titles).to_have_text(
        ["Calcetines de lana merino", re.compile(r"^Zapatilla de trail Rápida ")]
    )
    agent.by("product-in-stock").uncheck()
    agent.by("product-brand-filter").select_option("Cumbre")
    expect(titles).to_have_text(["Bota de montaña Cumbre"])
    expect(agent.by("product-result").locator(".cv-availability")).to_have_text("Pre-order")
    agent.by("product-brand-filter").select_option("")

    search(agent, "MERI")
    expect(titles).to_have_text(["Calcetines de lana merino"])
    search(agent, "zzz")
    expect(agent.by("product-result")).to_have_count(0)
    expect(agent.by("product-search-status")).to_have_text("No product matches.")
    agent.by("product-search").press("Escape")
    expect(agent.by("product-search")).to_have_value("")
    expect(agent.by("product-result")).to_have_count(4)

    # Arrows move the active result; with no conversation open, Enter says what is missing.
    box = agent.by("product-search")
    box.press("ArrowDown")
    box.press("ArrowDown")
    results = agent.by("product-result")
    expect(results.nth(1)).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", results.nth(1).get_attribute("id") or "")
    box.press("ArrowUp")
    expect(results.nth(0)).to_have_attribute("aria-selected", "true")
    expect(results.nth(0)).to_have_attribute("aria-disabled", "true")
    box.press("Enter")
    expect(agent.by("product-search-status")).to_have_text("Open a conversation to show a product.")
    assert agent.sent("viewer.show") == []
    snap("filtered")


def localised_pair(
    server: CovisorServer,
    contexts: Any,
    sides: list[tuple[str, Side]],
    agent_lang: str,
    shopper_lang: str,
) -> Pair:
    """An agent whose console is in `agent_lang` and a shopper on a phone in `shopper_lang`,
    in one accepted conversation."""
    page: Page = contexts.new(f"agent-{agent_lang}", DESKTOP).new_page()
    agent = AgentConsole(page, server.url, "Alex")
    page.goto(f"{server.url}/agent?lang={agent_lang}")
    page.get_by_test_id("agent-use-token").click()
    page.get_by_test_id("agent-token-input").fill(server.add_agent("Alex"))
    page.get_by_test_id("agent-login").click()
    expect(page.get_by_test_id("connection-state")).to_have_attribute("data-online", "true")
    phone = contexts.new(f"shopper-{shopper_lang}", PHONE).new_page()
    shopper = ShopperWidget(phone, server.url)
    phone.goto(f"{server.url}/demo?lang={shopper_lang}")
    shopper.press(shopper.by("widget-launcher"))
    shopper.send_chat("Dzień dobry, szukam butów.")
    expect(shopper.by("widget-panel")).to_have_attribute("data-status", "waiting")
    agent.accept(shopper.conversation_id())
    expect(shopper.by("widget-panel")).to_have_attribute("data-status", "active")
    sides.extend([(f"agent-{agent_lang}", agent), (f"shopper-{shopper_lang}", shopper)])
    return agent, shopper


def test_the_card_in_spanish_for_the_agent_and_polish_for_the_shopper(
    server: CovisorServer,
    contexts: Any,
    sides: list[tuple[str, Side]],
    pictures: dict[str, str],
    snap: Any,
) -> None:
    agent, shopper = localised_pair(server, contexts, sides, "es", "pl")
    expect(agent.by("product-search")).to_have_attribute("placeholder", "Nombre, marca o código")
    search(agent, "zapatilla roja")
    expect(agent.by("product-result")).to_have_count(1)
    agent.by("product-search").press("Enter")
    for side in (agent, shopper):
        shows(side, pictures["red"], "ZT-R41")
    price_reads(agent, re.compile(r"^69,00\s€$"), "89,00")
    price_reads(shopper, re.compile(r"^69,00\s€$"), "89,00")
    expect(agent.by("product-price").locator("del .cv-visually-hidden")).to_have_text(
        "Precio habitual "
    )
    expect(shopper.by("product-price").locator("del .cv-visually-hidden")).to_have_text(
        "Cena regularna "
    )
    expect(agent.by("product-availability")).to_have_text("En stock")
    expect(shopper.by("product-availability")).to_have_text("Dostępny")
    expect(agent.page.locator(".cv-product-option-name")).to_have_text(["Color", "Talla"])
    expect(shopper.page.locator(".cv-product-option-name")).to_have_text(["Kolor", "Rozmiar"])
    expect(agent.by("product-link")).to_have_text("Ver producto")
    expect(shopper.by("product-link")).to_have_text("Zobacz produkt")
    expect(shopper.by("product-gallery")).to_have_attribute("aria-label", "Zdjęcia produktu")
    expect(thumbnail(shopper, pictures["sole"])).to_have_attribute(
        "aria-label", re.compile(r"^Zdjęcie \d z 3$")
    )
    expect(chip(shopper, "size", "43")).to_have_attribute("title", "Niedostępne w tym połączeniu")
    snap("shown")

    shopper.press(chip(shopper, "color", "Azul"))
    for side in (shopper, agent):
        shows(side, pictures["blue"], BLUE_42)
        price_reads(side, re.compile(r"^95,00\s€$"), None)
    snap("switched")


def cart_notice(side: Side, kind: str) -> Locator:
    return side.page.locator(f'[data-testid="system-message"][data-type="{kind}"]')


def test_the_shopper_adds_the_shown_variant_through_the_shops_own_cart(
    accepted: Pair, pictures: dict[str, str], api: APIRequestContext, snap: Any
) -> None:
    """`covisor.onAddToCart` and `covisor.setCart` as a shop's page calls them: the card
    offers Add to cart only once the page has a handler; the handler gets the variant shown;
    its outcome, added or refused with the shop's reason, is a notice on both sides; the cart
    the page tells reaches the conversation's summary."""
    agent, shopper = accepted
    search(agent, "rapida roja 41")
    expect(agent.by("product-result")).to_have_count(1)
    agent.by("product-search").press("ArrowDown")
    agent.by("product-search").press("Enter")
    shows(shopper, pictures["red"], "ZT-R41")
    expect(shopper.by("add-to-cart")).to_have_count(0)

    shopper.page.evaluate(
        """() => covisor.onAddToCart(async (line) => {
            window.added = [...(window.added ?? []), line];
            if (window.added.length > 1) throw new Error("Sin existencias");
        })"""
    )
    button = shopper.by("product-card").get_by_test_id("add-to-cart")
    expect(button).to_have_text("Add to cart")
    expect(agent.by("product-card").get_by_test_id("add-to-cart")).to_have_count(0)
    shopper.press(button)
    for side in (agent, shopper):
        expect(cart_notice(side, "cart-added")).to_have_text(
            "1 × Zapatilla de trail Rápida added to the cart"
        )
    added = shopper.page.evaluate("window.added")
    assert added == [{"product_id": GROUP, "variant_id": "ZT-R41", "quantity": 1}]
    shopper.press(button)
    for side in (agent, shopper):
        expect(cart_notice(side, "cart-failed")).to_have_text(
            "Zapatilla de trail Rápida could not be added to the cart: Sin existencias"
        )
    snap("added-to-cart")

    cart = {
        "items": [
            {
                "product_id": GROUP,
                "variant_id": "ZT-R41",
                "title": "Zapatilla de trail Rápida roja 41",
                "quantity": 1,
                "price": "69.00",
            }
        ],
        "total": "69.00",
        "currency": "EUR",
    }
    shopper.page.evaluate("cart => covisor.setCart(cart)", cart)
    path = f"/api/conversations/{shopper.conversation_id()}"
    token = shopper.page.evaluate(
        "key => JSON.parse(localStorage.getItem(key)).token",
        f"covisor:conversation:{shopper.origin}",
    )
    as_shopper = {"Authorization": f"Bearer {token}"}
    eventually(lambda: api.get(path, headers=as_shopper).json()["cart"] == cart)
    refused = shopper.page.evaluate(
        "() => covisor.setCart({items: 'none'}).then(() => 'taken', (e) => e.name)"
    )
    assert refused == "TypeError"
