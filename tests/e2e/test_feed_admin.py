"""The console's Catalogue feed panel (console/admin/feed.js) on the real `/agent` page of a real
server, with a shop on a loopback port serving a real Google RSS feed and real JPEGs: the demo
admin saves the feed's schedule (after the form's and the server's refusals), imports it now,
watches the import run and finish, expands the report's per-product errors (a picture that
404s, a bad price), uploads a feed file, and removes the schedule; then a Polish admin follows
an import of her own. Screenshots at desktop and phone sizes, in English and Polish.

The server checks for a due schedule only once an hour here (`COVISOR_CATALOGUE_CHECK_EVERY`),
so the schedule's own first import does not race the test's "Import now".
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, Playwright, ViewportSize, expect

from tests.catalogue.shop import Shop, item, rss, running_shop
from tests.e2e.conftest import ARTIFACTS, Contexts, CovisorServer, served
from tests.e2e.sides import DESKTOP, AgentConsole

DEMO_ADMIN = "Demo Agent"
PHONE_VIEWPORT: ViewportSize = {"width": 390, "height": 844}
LONG_ID = "CALCETIN-TREKKING-MERINO-LANA-GRIS-MARENGO-T-39-42"
"""A product id of Google's 50-character maximum, with a bad price."""


class ShopThread:
    """`running_shop` on an event loop of its own thread, for the synchronous Playwright test."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.stop: asyncio.Event | None = None

    def __enter__(self) -> Shop:
        self.thread.start()
        ready: Future[Shop] = Future()

        async def serve() -> None:
            self.stop = asyncio.Event()
            async with running_shop() as shop:
                ready.set_result(shop)
                await self.stop.wait()

        self.served = asyncio.run_coroutine_threadsafe(serve(), self.loop)
        return ready.result(timeout=10)

    def hold(self, shop: Shop) -> None:
        """Make the slow pictures wait (until `release`, or `shop.delay`)."""
        self.loop.call_soon_threadsafe(shop.released.clear)

    def release(self, shop: Shop) -> None:
        """Let the slow pictures answer now."""
        self.loop.call_soon_threadsafe(shop.released.set)

    def __exit__(self, *exc: object) -> None:
        assert self.stop is not None
        self.loop.call_soon_threadsafe(self.stop.set)
        self.served.result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture(scope="module")
def shop_thread() -> Iterator[tuple[ShopThread, Shop]]:
    thread = ShopThread()
    with thread as shop:
        yield thread, shop


@pytest.fixture(scope="module")
def server(playwright: Playwright, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A server that fetches feeds and pictures from loopback, and looks for a due feed hourly."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    data_dir: Path = tmp_path_factory.mktemp("covisor-feed")
    env = {"COVISOR_OUTBOUND_ALLOW_INSECURE": "1", "COVISOR_CATALOGUE_CHECK_EVERY": "3600"}
    with served(data_dir, ARTIFACTS / "server-test_feed_admin.log", env) as url:
        token = (data_dir / "demo-agent.txt").read_text().strip().splitlines()[-1]
        yield CovisorServer(url, data_dir, token, {})


def open_panel(page: Page) -> Locator:
    page.get_by_test_id("open-feed").click()
    expect(page.get_by_test_id("feed-dialog")).to_be_visible()
    return page.get_by_test_id("feed-panel")


def shoot(page: Page, name: str, subject: Locator) -> None:
    """The page at desktop size, then at a phone's (where nothing may stick out sideways), each
    with `subject` scrolled into the dialog's view."""
    subject.scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / f"feed_admin-{name}-desktop.png")
    page.set_viewport_size(PHONE_VIEWPORT)
    dialog = page.get_by_test_id("feed-dialog")
    widths = dialog.evaluate("d => [d.scrollWidth, d.clientWidth]")
    assert widths[0] <= widths[1], (name, widths)
    subject.scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / f"feed_admin-{name}-phone.png")
    page.set_viewport_size(DESKTOP["viewport"])


def first_feed(shop: Shop) -> bytes:
    red = shop.add_picture("bota-roja.jpg", (200, 30, 30))
    blue = shop.add_picture("bota-azul.jpg", (30, 30, 200))
    return rss(
        [
            item("BOTA-ROJA-42", shop.base, title="Bota de montaña roja 42", image_link=red),
            item("BOTA-AZUL-42", shop.base, title="Bota de montaña azul 42", image_link=blue),
            item("GORRA", shop.base, title="Gorra", image_link=f"{shop.base}/img/gorra.jpg"),
            item(LONG_ID, shop.base, title="Calcetín", price="gratis"),
        ]
    )


def uploaded_feed(shop: Shop) -> bytes:
    """The same shop a day later: one product as it was, one repriced, one new, two gone."""
    green = shop.add_picture("bastones.jpg", (30, 160, 60))
    return rss(
        [
            item(
                "BOTA-ROJA-42",
                shop.base,
                title="Bota de montaña roja 42",
                image_link=f"{shop.base}/img/bota-roja.jpg",
            ),
            item(
                "BOTA-AZUL-42",
                shop.base,
                title="Bota de montaña azul 42",
                image_link=f"{shop.base}/img/bota-azul.jpg",
                price="12.50 EUR",
            ),
            item("BASTONES", shop.base, title="Bastones de trekking", image_link=green),
        ]
    )


def test_an_admin_schedules_imports_watches_and_uploads_a_feed(
    server: CovisorServer,
    contexts: Contexts,
    shop_thread: tuple[ShopThread, Shop],
    tmp_path: Path,
) -> None:
    thread, shop = shop_thread
    shop.feed = first_feed(shop)
    # The blue boot's picture answers late: the import stays running until it is released.
    shop.slow = {"/img/bota-azul.jpg"}
    shop.delay = 30.0
    feed_url = f"{shop.base}/feed.xml?utm_source=covisor&utm_medium=feed&" + "x" * 120
    console = AgentConsole(contexts.new("admin", DESKTOP).new_page(), server.url, DEMO_ADMIN)
    console.log_in(server.demo_token)
    page = console.page
    panel = open_panel(page)
    expect(panel.get_by_test_id("feed-schedule")).to_have_text(
        "No schedule: the feed is imported only when you start an import."
    )
    expect(panel.get_by_test_id("feed-imports")).to_contain_text("No imports yet.")

    # The form's own check, then the server's (a private address), with its message.
    url = page.get_by_label("Feed URL", exact=True)
    url.fill("shop.example/feed.xml")
    panel.get_by_test_id("feed-save").click()
    expect(panel.get_by_test_id("feed-form-error")).to_have_text(
        "Enter a full address starting with https:// (or http://)."
    )
    expect(url).to_be_focused()
    url.fill("http://10.1.2.3/feed.xml")
    panel.get_by_test_id("feed-save").click()
    expect(panel.get_by_test_id("feed-form-error")).to_contain_text(
        "Not accepted. The server says: url must be http(s) on a public host"
    )

    # The schedule: every 2 hours.
    url.fill(feed_url)
    page.get_by_label("Import every").fill("2")
    expect(panel.get_by_test_id("feed-every-unit")).to_have_value("hours")
    panel.get_by_test_id("feed-save").click()
    expect(panel.get_by_test_id("feed-status")).to_have_text(
        "Saved: the feed is imported every 2 h. The first import starts shortly."
    )
    expect(panel.get_by_test_id("feed-schedule")).to_contain_text(
        "Imported every 2 h; next import:"
    )
    expect(panel.get_by_test_id("feed-remove")).to_be_visible()

    # Import now: the live view runs (indeterminate bar) while a picture is slow.
    panel.get_by_test_id("feed-import-now").click()
    live = panel.get_by_test_id("feed-live")
    expect(live).to_have_attribute("data-state", "running")
    expect(live.get_by_test_id("feed-live-progress")).to_be_visible()
    assert live.get_by_test_id("feed-live-progress").get_attribute("value") is None
    expect(live.get_by_test_id("feed-live-processed")).to_have_text("Products read so far: 4")
    expect(live.get_by_test_id("feed-live-added")).to_have_text("3")
    expect(live.get_by_test_id("feed-live-failed")).to_have_text("1")
    row = panel.get_by_test_id("feed-import").first
    expect(row).to_have_attribute("data-state", "running")
    # A second start while it runs is refused, and said so.
    panel.get_by_test_id("feed-import-now").click()
    expect(panel.get_by_test_id("feed-form-error")).to_contain_text("An import is already running")
    shoot(page, "running", live)
    thread.release(shop)

    # Done: the outcome in the live view, the status line and the table.
    expect(live).to_have_attribute("data-state", "done")
    expect(live.get_by_test_id("feed-live-progress")).to_have_count(0)
    expect(live.get_by_test_id("feed-live-processed")).to_contain_text(
        "Products read: 4 · duration:"
    )
    expect(panel.get_by_test_id("feed-status")).to_have_text(
        "The import is finished: 4 read: 3 added, 0 updated, 0 unchanged, 0 removed, 1 failed."
    )
    expect(row).to_have_attribute("data-state", "done")
    expect(row.get_by_test_id("feed-import-state")).to_have_text("Done")
    expect(row.get_by_test_id("feed-import-url")).to_have_text(feed_url)
    expect(row.get_by_test_id("feed-import-counts")).to_have_text(
        "4 read: 3 added, 0 updated, 0 unchanged, 0 removed, 1 failed"
    )

    # Its per-product errors, opened from the keyboard.
    toggle = row.get_by_test_id("feed-import-errors-toggle")
    expect(toggle).to_have_text("Show problems (2)")
    toggle.focus()
    page.keyboard.press("Enter")
    toggle = panel.get_by_test_id("feed-import").first.get_by_test_id("feed-import-errors-toggle")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(toggle).to_be_focused()
    errors = panel.get_by_test_id("feed-import-errors")
    expect(errors.get_by_test_id("feed-errors-note")).to_have_text("Problems found: 2")
    expect(errors.get_by_test_id("feed-error-id")).to_have_text([LONG_ID, "GORRA"])
    expect(errors.get_by_test_id("feed-import-error").first).to_contain_text("price")
    expect(errors.get_by_test_id("feed-import-error").nth(1)).to_contain_text("image_link")
    shoot(page, "report", errors)

    # A feed file, chosen from the keyboard and uploaded, then followed to its end.
    path = tmp_path / "tienda-feed.xml"
    path.write_bytes(uploaded_feed(shop))
    panel.get_by_test_id("feed-upload").click()
    expect(panel.get_by_test_id("feed-upload-error")).to_have_text("Choose a feed file first.")
    choose = panel.get_by_test_id("feed-choose")
    expect(choose).to_be_focused()
    with page.expect_file_chooser(timeout=45_000) as chooser:  # three browsers on two cores in CI
        page.keyboard.press("Enter")
    chooser.value.set_files(path)
    expect(panel.get_by_test_id("feed-file-name")).to_have_text("tienda-feed.xml")
    expect(panel.get_by_test_id("feed-upload-error")).to_be_hidden()
    panel.get_by_test_id("feed-upload").click()
    expect(panel.get_by_test_id("feed-status")).to_have_text(
        "The import is finished: 3 read: 1 added, 1 updated, 1 unchanged, 1 removed, 0 failed."
    )
    expect(live).to_have_attribute("data-state", "done")
    expect(live.get_by_test_id("feed-live-title")).to_have_text("Import finished")
    rows = panel.get_by_test_id("feed-import")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Uploaded file")
    expect(rows.first.get_by_test_id("feed-import-errors-toggle")).to_have_count(0)
    expect(panel.get_by_test_id("feed-file-name")).to_have_text("No file chosen")
    shoot(page, "uploaded", rows.nth(1))

    # A feed with more problems than a report keeps: the first 500, and it says so.
    shop.feed = rss(
        [
            item(
                "BOTA-ROJA-42",
                shop.base,
                title="Bota de montaña roja 42",
                image_link=f"{shop.base}/img/bota-roja.jpg",
            ),
            *(item(f"MALO-{n:03}", shop.base, price="gratis") for n in range(520)),
        ]
    )
    panel.get_by_test_id("feed-import-now").click()
    expect(panel.get_by_test_id("feed-status")).to_have_text(
        "The import is finished: 521 read: 0 added, 0 updated, 1 unchanged, 2 removed, 520 failed."
    )
    expect(rows).to_have_count(3)
    toggle = rows.first.get_by_test_id("feed-import-errors-toggle")
    expect(toggle).to_have_text("Show problems (500)")
    toggle.click()
    many = panel.get_by_test_id("feed-import-errors").first
    expect(many.get_by_test_id("feed-errors-note")).to_have_text(
        "The first 500 problems are shown; no more are kept."
    )
    expect(many.get_by_test_id("feed-import-error")).to_have_count(500)
    shoot(page, "first-500", many)

    # Removing the schedule asks first; Escape backs out.
    panel.get_by_test_id("feed-remove").click()
    expect(panel.get_by_test_id("feed-remove-confirm")).to_be_focused()
    page.keyboard.press("Escape")
    expect(panel.get_by_test_id("feed-remove-confirm")).to_have_count(0)
    expect(page.get_by_test_id("feed-dialog")).to_be_visible()
    expect(panel.get_by_test_id("feed-remove")).to_be_focused()
    panel.get_by_test_id("feed-remove").click()
    panel.get_by_test_id("feed-remove-confirm").click()
    expect(panel.get_by_test_id("feed-schedule")).to_have_text(
        "No schedule: the feed is imported only when you start an import."
    )
    expect(panel.get_by_test_id("feed-remove")).to_be_hidden()
    assert not contexts.page_errors, contexts.page_errors


def test_a_polish_admin_follows_an_import_and_reads_the_report(
    server: CovisorServer,
    contexts: Contexts,
    shop_thread: tuple[ShopThread, Shop],
) -> None:
    thread, shop = shop_thread
    slow = shop.add_picture("mochila.jpg", (120, 80, 20))
    shop.slow = {"/img/mochila.jpg"}
    thread.hold(shop)
    shop.feed = rss(
        [
            item("BOTA-ROJA-42", shop.base, image_link=f"{shop.base}/img/bota-roja.jpg"),
            item("MOCHILA-30L", shop.base, title="Mochila 30 l", image_link=slow),
            item("FORRO", shop.base, price="12,5 EUROS"),
        ]
    )
    polish = {**DESKTOP, "locale": "pl-PL"}
    console = AgentConsole(contexts.new("admin-pl", polish).new_page(), server.url, DEMO_ADMIN)
    console.log_in(server.demo_token)
    page = console.page
    panel = open_panel(page)
    expect(panel.get_by_test_id("feed-imports")).to_contain_text("Przesłany plik")
    panel.get_by_label("Adres URL pliku produktowego").fill(f"{shop.base}/feed.xml")
    panel.get_by_test_id("feed-import-now").click()
    live = panel.get_by_test_id("feed-live")
    expect(live.get_by_test_id("feed-live-title")).to_have_text("Importowanie z adresu URL…")
    expect(live.get_by_test_id("feed-live-processed")).to_have_text("Dotąd wczytane produkty: 3")
    shoot(page, "running-pl", live)
    thread.release(shop)
    expect(live).to_have_attribute("data-state", "done")
    expect(panel.get_by_test_id("feed-status")).to_contain_text("Import zakończony: wczytano 3:")
    row = panel.get_by_test_id("feed-import").first
    expect(row.get_by_test_id("feed-import-state")).to_have_text("Zakończony")
    row.get_by_test_id("feed-import-errors-toggle").click()
    expect(panel.get_by_test_id("feed-errors-note")).to_have_text("Znalezione problemy: 1")
    expect(panel.get_by_test_id("feed-error-id")).to_have_text("FORRO")
    shoot(page, "report-pl", panel.get_by_test_id("feed-import-errors"))
    assert not contexts.page_errors, contexts.page_errors
