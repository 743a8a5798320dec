"""The console's Reports panel (console/admin/reports.js) in real Chromium against `covisor serve`
with the demo shop's catalogue: the demo admin takes a phone shopper's chat and shows the red
trail shoe from the product search; the shopper's page reports the order through
`covisor.trackConversion` with its items (one of them numbered as shops number products); the
admin's Reports panel then shows the products section: the counts, per agent and per device,
the products shown most and sold most after a chat. Screenshots at desktop and phone sizes go
to tests/artifacts/e2e/.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import APIRequestContext, Locator, Playwright, expect

from tests.e2e.conftest import (
    ARTIFACTS,
    SERVER_LIMITS,
    START_TIMEOUT_S,
    Contexts,
    CovisorServer,
    served,
)
from tests.e2e.sides import DESKTOP, PHONE, AgentConsole, ShopperWidget

DEMO_ADMIN = "Demo Agent"
SHOE = "Zapatilla de trail"
"""The demo shop's product `ZT`, as its card titles it (its variants' shared words)."""


def _demo_shop_imported(api: APIRequestContext) -> None:
    """Wait until the demo shop's feed import (its pictures included) is over, and succeeded."""
    deadline = time.monotonic() + START_TIMEOUT_S * 2
    imports: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        imports = api.get("/api/catalogue/imports").json()["imports"]
        if imports and imports[0]["state"] != "running":
            assert imports[0]["state"] == "done" and imports[0]["failed"] == 0, imports[0]
            return
        time.sleep(0.2)
    raise AssertionError(f"the demo shop's import did not end: {imports}")


@pytest.fixture(scope="module")
def server(playwright: Playwright, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """`covisor serve` with the demo admin and the demo shop's product catalogue."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    data_dir = tmp_path_factory.mktemp("covisor-reports")
    with served(data_dir, ARTIFACTS / "server-test_reports.log", {"COVISOR_DEMO_SHOP": "1"}) as url:
        token = (data_dir / "demo-agent.txt").read_text().strip().splitlines()[-1]
        admin = playwright.request.new_context(
            base_url=url, extra_http_headers={"Authorization": f"Bearer {token}"}
        )
        try:
            _demo_shop_imported(admin)
        finally:
            admin.dispose()
        yield CovisorServer(url, data_dir, token, dict(SERVER_LIMITS))


def rows(table: Locator) -> list[list[str]]:
    """The body rows of a report table, each as its cells' texts."""
    found: list[list[str]] = table.locator("tbody tr").evaluate_all(
        "rows => rows.map(row => [...row.cells].map(cell => cell.textContent))"
    )
    return found


def test_the_reports_show_what_sold_after_the_shoe_was_shown(
    server: CovisorServer, contexts: Contexts
) -> None:
    admin = AgentConsole(contexts.new("admin", DESKTOP).new_page(), server.url, DEMO_ADMIN)
    admin.log_in(server.demo_token)
    shopper = ShopperWidget(contexts.new("shopper", PHONE).new_page(), server.url)
    shopper.open_widget()
    # The page reported itself: the widget has the visitor's credential, which ties the chat
    # to the visitor (so its order is an assisted one).
    expect(shopper.page.locator("#covisor-widget")).to_have_attribute("data-visitor", "reported")
    shopper.start_chat("Do you have the red trail shoe in 42?")
    admin.accept(shopper.conversation_id())

    admin.by("product-search").fill("ZT-ROJ-42")
    result = admin.by("product-result")
    expect(result).to_have_count(1)
    expect(result).to_have_attribute("data-variant-id", "ZT-ROJ-42")
    admin.by("product-search").press("ArrowDown")
    admin.by("product-search").press("Enter")
    expect(shopper.by("product-title")).to_have_text(SHOE)

    order = shopper.page.evaluate(
        """() => covisor.trackConversion({
            value: "99.90", currency: "EUR", order_id: "e2e-shoe",
            items: [{product_id: "ZT-ROJ-42", quantity: 1, price: "89.90"},
                    {product_id: 777, variant_id: 7771, quantity: 2, price: 5}],
        })"""
    )
    assert order["assisted"] is True, order
    assert order["items"] == [
        {"product_id": "ZT-ROJ-42", "variant_id": None, "quantity": 1, "price": "89.90"},
        {"product_id": "777", "variant_id": "7771", "quantity": 2, "price": "5.00"},
    ]

    admin.by("open-reports").click()
    expect(admin.by("reports-dialog")).to_be_visible()
    products = admin.by("reports-products")
    expect(products).to_be_visible()
    assert [row[1] for row in rows(products)] == [
        "1",
        "0",
        "0",
        "1",
        "EUR 1 × 99.90 (99.90)",
    ]
    assert rows(admin.by("reports-most-shown")) == [[SHOE, "ZT", "1"]]
    assert rows(admin.by("reports-most-sold")) == [["777", "777", "2", "1"], [SHOE, "ZT", "1", "1"]]
    assert rows(admin.by("reports-products-agents")) == [
        [DEMO_ADMIN, "1", "0", "0", "1", "EUR 1 × 99.90 (99.90)"]
    ]
    assert rows(admin.by("reports-products-devices")) == [
        ["Phone", "1", "0", "0", "1", "EUR 1 × 99.90 (99.90)"]
    ]
    expect(admin.by("reports-products-none")).to_have_count(0)

    products.scroll_into_view_if_needed()
    admin.page.screenshot(path=ARTIFACTS / "reports-products-desktop.png")
    admin.page.set_viewport_size({"width": 390, "height": 844})
    dialog = admin.by("reports-dialog")
    widths = dialog.evaluate("d => [d.scrollWidth, d.clientWidth]")
    assert widths[0] <= widths[1], widths
    admin.by("reports-most-sold").scroll_into_view_if_needed()
    admin.page.screenshot(path=ARTIFACTS / "reports-products-phone.png")
