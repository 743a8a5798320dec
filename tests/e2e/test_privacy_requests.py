"""The widget talks to Covisor's origin only: every request of a whole shopper session
(opening, chatting, a shown product, a photo upload, a reply) is recorded in Chromium."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Request, expect

from tests.media import samples

from .conftest import Contexts, CovisorServer
from .sides import DESKTOP, PHONE, AgentConsole, ShopperWidget


def test_a_whole_widget_session_requests_nothing_but_covisor(
    server: CovisorServer, contexts: Contexts, tmp_path: Path
) -> None:
    page = contexts.new("shopper", PHONE).new_page()
    seen: list[str] = []

    def record(request: Request) -> None:
        seen.append(request.url)

    page.context.on("request", record)
    shopper = ShopperWidget(page, server.url)
    shopper.open_widget()
    shopper.start_chat("Does this come in blue?")

    console = AgentConsole(contexts.new("agent", DESKTOP).new_page(), server.url, name="Alex")
    console.log_in(server.add_agent("Alex"))
    console.accept(shopper.conversation_id())
    console.show_catalogue_item("trail-sneaker")
    shopper.wait_image_loaded("/api/catalogue/trail-sneaker/")
    photo = tmp_path / "box.jpg"
    photo.write_bytes(samples.camera_jpeg((1600, 1200)))
    shopper.by("upload-input").set_input_files(photo)
    expect(console.by("uploads-list").get_by_test_id("upload-card")).to_have_count(1)
    console.send_chat("Yes, it does.")
    expect(shopper.message("Yes, it does.")).to_have_count(1)

    origins = {f"{urlsplit(url).scheme}://{urlsplit(url).netloc}" for url in seen}
    covisor = f"{urlsplit(server.url).scheme}://{urlsplit(server.url).netloc}"
    ws = covisor.replace("http://", "ws://")
    assert seen, "the session made requests"
    assert origins <= {covisor, ws}, f"requests beyond Covisor's origin: {origins}"
