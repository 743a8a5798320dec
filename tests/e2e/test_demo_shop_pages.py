"""The demo shop "Senda" in real Chromium, on a phone and on a desktop: a shopper filters the
grid, picks a colour and a size, fills the cart, a second tab follows it, and the checkout
reports the order to Covisor (`POST /api/conversions`, caught on its way and let through).

The widget's `setCart`, `onAddToCart` and `setProduct` are not needed here: the shop works (and
raises no error) whether or not the widget knows them yet."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, Route, expect

from tests.e2e.conftest import Contexts, CovisorServer, Snap
from tests.e2e.sides import DESKTOP, PHONE, ShopperWidget, Side

PRODUCTS = json.loads(
    (Path(__file__).resolve().parents[2] / "media" / "shop" / "products.json").read_text("utf-8")
)["products"]
DEVICES = {"phone": PHONE, "desktop": DESKTOP}


def euros(text: str) -> str:
    """Money as the Spanish shop writes it (`277,00 €`, with a no-break space)."""
    return f"{text.replace('.', ',')}\xa0€"


class Shop(ShopperWidget):
    """A tab of the shop: the widget's side of it and the shop's own controls."""

    def goto(self, path: str) -> None:
        self.page.goto(f"{self.origin}{path}")
        expect(self.by("shop-heading")).to_be_visible()

    def choose(self, option: str, value: str) -> None:
        self.press(self.by(f"shop-option-{option}").get_by_role("radio", name=value, exact=True))

    def line(self, variant_id: str) -> Locator:
        return self.page.locator(f'[data-testid="shop-line"][data-variant-id="{variant_id}"]')


@pytest.fixture(params=list(DEVICES))
def shop(
    request: pytest.FixtureRequest,
    server: CovisorServer,
    contexts: Contexts,
    sides: list[tuple[str, Side]],
    snap: Snap,
) -> Shop:
    device = str(request.param)
    page = contexts.new(device, DEVICES[device]).new_page()
    tab = Shop(page, server.url, touch=device == "phone")
    sides.append((device, tab))
    return tab


def catch_conversions(page: Page) -> list[Any]:
    """The bodies of the page's `POST /api/conversions`, each let through to the server."""
    bodies: list[Any] = []

    def record(route: Route) -> None:
        bodies.append(route.request.post_data_json)
        route.continue_()

    page.route("**/api/conversions", record)
    return bodies


def test_a_shopper_picks_a_variant_fills_the_cart_in_two_tabs_and_orders(
    shop: Shop, sides: list[tuple[str, Side]], snap: Snap
) -> None:
    page = shop.page
    shop.goto("/demo/shop/")
    expect(shop.by("shop-card")).to_have_count(len(PRODUCTS))
    shop.press(shop.by("shop-filter").get_by_role("radio", name="Calzado", exact=True))
    footwear = [p for p in PRODUCTS if p["product_type"].startswith("Calzado")]
    expect(shop.by("shop-card")).to_have_count(len(footwear))
    expect(page).to_have_url(re.compile(r"\?tipo=Calzado$"))
    on_sale = shop.page.locator('[data-product-id="ZTI"]')
    expect(on_sale.get_by_test_id("shop-price")).to_have_text("Ahora 99,00\xa0€ antes 119,00\xa0€")
    snap("grid")

    shop.press(page.locator('[data-product-id="ZT"] a'))
    expect(shop.by("shop-heading")).to_have_text("Zapatilla de trail")
    assert page.url.endswith("/demo/shop/products/ZT")
    shop.choose("color", "Azul marino")
    shop.choose("size", "43 agotada")
    expect(shop.by("shop-variant")).to_have_text("Zapatilla de trail azul marino 43")
    expect(shop.by("shop-availability")).to_have_text("Agotado")
    expect(shop.by("shop-add")).to_be_disabled()
    shop.choose("size", "42")
    expect(shop.by("shop-variant")).to_have_text("Zapatilla de trail azul marino 42")
    expect(page).to_have_url(re.compile(r"\?variant=ZT-AZM-42$"))
    expect(shop.by("shop-picture")).to_have_attribute("src", re.compile("azul-marino-1"))
    shop.press(shop.by("shop-quantity-more"))
    expect(shop.by("shop-quantity-field")).to_have_value("2")
    shop.press(shop.by("shop-add"))
    expect(shop.by("shop-status")).to_have_text(
        "Añadido al carrito: Zapatilla de trail azul marino 42"
    )
    expect(shop.by("shop-cart-count")).to_have_text("2")
    snap("product")

    shop.goto("/demo/shop/products/ZTI")
    expect(shop.by("shop-price")).to_have_text("Ahora 99,00\xa0€ antes 119,00\xa0€")
    shop.press(shop.by("shop-add"))
    expect(shop.by("shop-cart-count")).to_have_text("3")

    shop.press(shop.by("shop-cart-link"))
    expect(shop.by("shop-heading")).to_have_text("Tu carrito")
    expect(shop.by("shop-line")).to_have_count(2)
    expect(shop.by("shop-total")).to_have_text(euros("277.00"))
    snap("cart")

    # A second tab of the same browser follows the cart, both ways.
    other = Shop(page.context.new_page(), shop.origin, touch=shop.touch)
    sides.append(("second-tab", other))
    other.goto("/demo/shop/cart")
    expect(other.by("shop-total")).to_have_text(euros("277.00"))
    shop.press(shop.line("ZT-AZM-42").get_by_test_id("shop-line-quantity-more"))
    expect(other.line("ZT-AZM-42").get_by_test_id("shop-line-quantity-field")).to_have_value("3")
    expect(other.by("shop-total")).to_have_text(euros("366.00"))
    expect(other.by("shop-cart-count")).to_have_text("4")
    other.press(other.line("ZTI-NEG-41").get_by_test_id("shop-line-remove"))
    expect(shop.by("shop-line")).to_have_count(1)
    expect(shop.by("shop-total")).to_have_text(euros("267.00"))
    snap("two-tabs")

    conversions = catch_conversions(page)
    shop.press(shop.by("shop-checkout"))
    expect(shop.by("shop-heading")).to_have_text("Confirmar pedido")
    expect(shop.by("shop-total")).to_have_text(euros("267.00"))
    with page.expect_response("**/api/conversions") as answer:
        shop.press(shop.by("shop-confirm"))
    assert answer.value.ok, answer.value.text()
    expect(shop.by("shop-heading")).to_have_text("¡Pedido confirmado!")
    expect(shop.by("shop-heading")).to_be_focused()
    order_id = shop.by("shop-order-number").inner_text()
    assert re.fullmatch(r"SEN-[0-9A-F]{8}", order_id), order_id
    expect(shop.by("shop-cart-count")).to_have_text("0")
    expect(other.by("shop-empty")).to_be_visible()
    [body] = conversions
    expected_items = [
        {"product_id": "ZT", "variant_id": "ZT-AZM-42", "quantity": 3, "price": "89.00"}
    ]
    assert {key: body[key] for key in ("value", "currency", "order_id")} == {
        "value": "267.00",
        "currency": "EUR",
        "order_id": order_id,
    }
    assert body["items"] == expected_items
    snap("ordered")


def test_the_keyboard_alone_chooses_a_colour_and_fills_the_cart(
    server: CovisorServer, contexts: Contexts, sides: list[tuple[str, Side]], snap: Snap
) -> None:
    shop = Shop(contexts.new("keyboard", DESKTOP).new_page(), server.url, touch=False)
    sides.append(("keyboard", shop))
    shop.goto("/demo/shop/products/CT?lang=en")
    expect(shop.page.locator('script[src="/client/widget.js"]')).to_have_attribute(
        "data-lang", "en"
    )
    expect(shop.by("widget-launcher")).to_have_text("Chat with us")
    expect(shop.by("demo-lang")).to_have_value("en")
    expect(shop.by("shop-cart-link")).to_have_attribute("href", "/demo/shop/cart?lang=en")
    colour = shop.by("shop-option-color")
    colour.get_by_role("radio", name="Roja").focus()
    shop.page.keyboard.press("ArrowRight")
    chosen = colour.get_by_role("radio", name="Azul marino")
    expect(chosen).to_be_checked()
    expect(chosen).to_be_focused()
    expect(shop.by("shop-variant")).to_have_text(re.compile("^Camiseta técnica azul marino"))
    shop.by("shop-quantity-field").focus()
    shop.page.keyboard.press("ArrowUp")
    shop.page.keyboard.press("Tab")
    expect(shop.by("shop-quantity-more")).to_be_focused()
    expect(shop.by("shop-quantity-less")).to_be_enabled()
    shop.page.keyboard.press("Tab")
    expect(shop.by("shop-add")).to_be_focused()
    shop.page.keyboard.press("Enter")
    expect(shop.by("shop-cart-count")).to_have_text("2")
    expect(shop.by("shop-cart-link")).to_have_attribute("aria-label", "Carrito: 2 artículos")
    snap("added")

    shop.goto("/demo/shop/products/NOPE")
    expect(shop.by("shop-heading")).to_have_text("Este producto no está en la tienda")
