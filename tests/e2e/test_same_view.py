"""Issue 11 #4 and #12, in real Chromium: "the same view" on screens of different shapes (an
agent on a landscape desktop, a shopper on a portrait phone) and "Save annotated picture".

The side that zooms sends the region it sees; the other fits all of that region (letterboxed).
Each side outlines the region the other sees and can jump to it with "Go to their view". The
saved picture is the server's PNG of the shown image with its strokes, added to the chat as an
upload of whoever saved it.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import APIRequestContext, Page, expect

from tests.e2e.polling import eventually
from tests.e2e.sides import DESKTOP, PHONE, AgentConsole, ShopperWidget, Side
from tests.e2e.test_shared_session import RED, SNEAKER, contains, show_sneaker

pytestmark = pytest.mark.browser

Pair = tuple[AgentConsole, ShopperWidget]


def region_shown(leader: Side, follower: Side) -> dict[str, float]:
    """The follower's visible region contains all of the leader's; returns the leader's."""
    seen, shown = leader.visible_region(), follower.visible_region()
    assert seen["w"] < 0.9 or seen["h"] < 0.9, seen
    assert contains(shown, seen), (seen, shown)
    return seen


def outline_region(side: Side) -> dict[str, float]:
    """The other side's region as `side` outlines it, image-normalised (clipped to the stage)."""
    outline = side.by("their-view")
    expect(outline).to_be_visible()
    box = outline.bounding_box()
    assert box
    left, top, width, height = side.geometry()["media"]
    u0, u1 = (box["x"] - left) / width, (box["x"] + box["width"] - left) / width
    v0, v1 = (box["y"] - top) / height, (box["y"] + box["height"] - top) / height
    return {"cx": (u0 + u1) / 2, "cy": (v0 + v1) / 2, "w": u1 - u0, "h": v1 - v0}


def covers(side: Side, region: dict[str, float]) -> None:
    shown = side.visible_region()
    assert contains(shown, region), (shown, region)


def near_region(a: dict[str, float], b: dict[str, float], tolerance: float = 0.02) -> None:
    assert all(abs(a[k] - b[k]) <= tolerance for k in ("cx", "cy", "w", "h")), (a, b)


def test_the_phone_shows_all_the_agent_sees_and_each_side_outlines_the_other(
    accepted: Pair, snap: Any
) -> None:
    agent, shopper = accepted
    show_sneaker(agent, shopper)

    # The agent zooms in on the top of the picture.
    agent.page.mouse.move(*agent.viewport_point(0.35, 0.12))
    agent.page.mouse.wheel(0, -700)
    seen = eventually(lambda: region_shown(agent, shopper))
    sent = agent.sent("viewer.transform")[-1]
    assert 0 < sent["w"] < 1 and 0 < sent["h"] <= 1, sent
    snap("agent-zoomed")

    # The phone outlines what the agent sees, about where it is; the agent outlines the phone's.
    eventually(lambda: near_region(outline_region(shopper), seen))
    expect(shopper.by("their-view-label")).to_have_text("What Alex sees")
    phone_view = eventually(lambda: (outline_region(agent), shopper.visible_region())[1])
    expect(agent.by("their-view-label")).to_have_text("What Shopper sees")
    views = agent.sent("viewer.view")
    assert views and all(set(view) >= {"cx", "cy", "w", "h"} for view in views), views
    assert len(views) < 20, views

    # "Go to their view" on the desktop fits the region the phone sees (larger than its own).
    agent.press(agent.by("go-to-their-view"))
    eventually(lambda: covers(agent, phone_view))
    snap("agent-went-to-their-view")

    # The phone zooms further by itself; "Go to their view" on the agent's outline follows it.
    left, top, width, height = shopper.geometry()["stage"]
    middle = (left + width / 2, top + height / 2)
    shopper.touches(
        [[(middle[0] - s, middle[1]), (middle[0] + s, middle[1])] for s in range(30, 91, 10)]
    )
    eventually(lambda: region_shown(shopper, agent))
    expect(shopper.by("go-to-their-view")).to_be_visible()
    snap("shopper-pinched")


def draw_line(side: AgentConsole, start: tuple[float, float], end: tuple[float, float]) -> None:
    side.press(side.page.locator(f'[data-testid="pen-color"][data-color="{RED}"]'))
    side.by("pen-width").select_option(index=2)
    mouse = side.page.mouse
    mouse.move(*side.viewport_point(*start))
    mouse.down()
    mouse.move(*side.viewport_point(*end), steps=12)
    mouse.up()


def has_stroke(side: Side) -> None:
    assert side.stroke_footprint(RED)["count"] > 0


def test_save_annotated_picture_adds_a_png_with_the_stroke_for_both(
    accepted: Pair, api: APIRequestContext, snap: Any
) -> None:
    agent, shopper = accepted
    expect(agent.by("save-annotated")).to_be_hidden()
    show_sneaker(agent, shopper)
    expect(shopper.by("save-annotated")).to_be_visible()
    draw_line(agent, (0.3, 0.5), (0.7, 0.5))
    eventually(lambda: has_stroke(shopper))

    with agent.page.expect_response(lambda r: "/annotated?upload_id=" in r.url) as answer:
        agent.press(agent.by("save-annotated"))
    assert answer.value.status == 201, answer.value.text()
    item = answer.value.json()
    expect(agent.by("viewer-status")).to_have_text("Saved to the chat.")
    for side in (agent, shopper):
        card = side.by("message-list").locator(
            f'[data-testid="upload-card"][data-media-id="{item["id"]}"]'
        )
        expect(card).to_have_attribute("data-status", "ready")
        expect(card.get_by_test_id("upload-thumb")).to_be_visible()
    snap("saved")

    variants = item["variants"]
    url = next(
        variants[name]["url"]
        for name in ("display_webp", "display_jpeg", "original")
        if name in variants
    )
    body = api.get(url).body()
    picture = Image.open(io.BytesIO(body)).convert("RGB")
    width, height = picture.size
    assert width / height == pytest.approx(1200 / 900, rel=0.01), picture.size
    for u in (0.35, 0.5, 0.65):
        r, g, b = picture.getpixel((int(u * width), int(0.5 * height)))  # type: ignore[misc]
        assert r > 180 and g < 110 and b < 110, (u, (r, g, b))
    r, g, b = picture.getpixel((int(0.5 * width), int(0.3 * height)))  # type: ignore[misc]
    assert not (r > 180 and g < 110 and b < 110), (r, g, b)


def polish_pair(server: Any, contexts: Any, sides: list[tuple[str, Side]]) -> Pair:
    page: Page = contexts.new("agent-pl", DESKTOP).new_page()
    agent = AgentConsole(page, server.url, "Alex")
    page.goto(f"{server.url}/agent?lang=pl")
    page.get_by_test_id("agent-use-token").click()
    page.get_by_test_id("agent-token-input").fill(server.add_agent("Alex"))
    page.get_by_test_id("agent-login").click()
    expect(page.get_by_test_id("connection-state")).to_have_attribute("data-online", "true")
    phone = contexts.new("shopper-pl", PHONE).new_page()
    shopper = ShopperWidget(phone, server.url)
    phone.goto(f"{server.url}/demo?lang=pl")
    shopper.press(shopper.by("widget-launcher"))
    shopper.send_chat("Dzień dobry, mam pytanie.")
    expect(shopper.by("widget-panel")).to_have_attribute("data-status", "waiting")
    agent.accept(shopper.conversation_id())
    expect(shopper.by("widget-panel")).to_have_attribute("data-status", "active")
    sides.extend([("agent-pl", agent), ("shopper-pl", shopper)])
    return agent, shopper


def test_the_same_view_and_saving_in_polish(
    server: Any, contexts: Any, sides: list[tuple[str, Side]], snap: Any
) -> None:
    agent, shopper = polish_pair(server, contexts, sides)
    agent.show_catalogue_item(SNEAKER)
    for side in (agent, shopper):
        side.wait_image_loaded(f"/api/catalogue/{SNEAKER}/")
    agent.page.mouse.move(*agent.viewport_point(0.4, 0.3))
    agent.page.mouse.wheel(0, -600)
    eventually(lambda: region_shown(agent, shopper))
    expect(shopper.by("their-view-label")).to_have_text("Co widzi: Alex")
    expect(agent.by("their-view-label")).to_have_text("Co widzi: Klient")
    expect(shopper.by("go-to-their-view")).to_have_attribute("title", "Przejdź do widoku rozmówcy")
    draw_line(agent, (0.35, 0.3), (0.5, 0.35))
    agent.press(agent.by("save-annotated"))
    expect(agent.by("viewer-status")).to_have_text("Zapisano w czacie.")
    expect(shopper.by("save-annotated")).to_have_attribute(
        "title", "Zapisz obraz z rysunkami w czacie"
    )
    snap("zoomed-and-saved")
