"""The agent console and the shared chat and viewer, item by item of issue 11, in real Chromium:
an ended video plays again from 0, the zoom-reset icon, "closed" apart from "online", grouped
messages, the agent's upload cards (facts, quality in words, private lightbox, original), the
PIN panels, and the console in another language with its skip link. Screenshots of the console
at desktop and phone size, in English and German, go to tests/artifacts/e2e/.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import APIRequestContext, Page, expect

from tests.e2e.media_files import photo_jpeg
from tests.e2e.polling import eventually
from tests.e2e.sides import DESKTOP, GREETING, PHONE, AgentConsole, ShopperWidget, Side

pytestmark = pytest.mark.browser

Pair = tuple[AgentConsole, ShopperWidget]

SNEAKER = "trail-sneaker"
FULLSCREEN_ICON = "M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5"


def ready(side: Side) -> None:
    sample = side.video()
    assert sample.ready >= 1 and sample.duration == pytest.approx(30, abs=0.2), sample


def at_end(side: Side) -> None:
    sample = side.video()
    assert sample.paused and sample.time >= 29.5, sample


def playing_from_start(side: Side) -> float:
    sample = side.video()
    assert not sample.paused and 0.2 <= sample.time < 6, sample
    return sample.time


def test_an_ended_video_shows_play_on_every_side_and_plays_again_from_0(
    counter_video: str, accepted: Pair, snap: Any
) -> None:
    agent, shopper = accepted
    agent.show_catalogue_item(counter_video)
    for side in (agent, shopper):
        expect(side.by("video-controls")).to_be_visible()
        eventually(partial(ready, side))

    agent.by("video-seek").fill("28.8")
    agent.press(agent.by("video-play"))
    for side in (agent, shopper):
        eventually(partial(at_end, side))
        expect(side.by("video-play")).to_have_attribute("aria-label", "Play")
    snap("ended")

    shopper.press(shopper.by("video-play"))
    for side in (agent, shopper):
        eventually(partial(playing_from_start, side))
        expect(side.by("video-play")).to_have_attribute("aria-label", "Pause")
    assert shopper.sent("video.play")[-1]["position"] == 0
    snap("again")


def test_zoom_reset_icon_closed_status_and_grouped_messages(accepted: Pair, snap: Any) -> None:
    agent, shopper = accepted
    agent.show_catalogue_item(SNEAKER)
    shopper.wait_image_loaded(f"/api/catalogue/{SNEAKER}/")
    for side in (agent, shopper):
        icon_path = side.by("zoom-reset").locator("path").get_attribute("d")
        assert icon_path and icon_path != FULLSCREEN_ICON

    # Three lines from the shopper in a row: one name and time, under the last. (The greeting is
    # apart: "Alex joined the chat" came between.)
    lines = ("About my order:", "It is the blue one.", "Size 42.")
    for text in lines:
        shopper.send_chat(text)
    expect(agent.message("Size 42.")).to_have_count(1)
    expect(agent.message(GREETING)).to_have_attribute("data-group", "single")
    run = [agent.message(text) for text in lines]
    expect(run[0]).to_have_attribute("data-group", "first")
    expect(run[1]).to_have_attribute("data-group", "middle")
    expect(run[2]).to_have_attribute("data-group", "last")
    for message in run[:2]:
        expect(message.locator(".cv-author")).to_be_hidden()
        expect(message.locator("time")).to_be_hidden()
    expect(run[2].locator(".cv-author")).to_have_text("Shopper")
    expect(run[2].locator("time")).to_be_visible()
    agent.send_chat("Let me check.")
    expect(shopper.message("Let me check.")).to_have_attribute("data-group", "single")
    snap("grouped")

    presence = agent.by("conversation-presence")
    expect(presence).to_have_text("Shopper online")
    online_colour = presence.evaluate("node => getComputedStyle(node).color")
    agent.press(agent.by("conversation-close"))
    agent.press(agent.by("conversation-close"))
    expect(presence).to_have_text("Closed")
    expect(presence).to_have_attribute("data-presence", "closed")
    closed = presence.evaluate(
        "node => [getComputedStyle(node).color, getComputedStyle(node).backgroundColor]"
    )
    assert closed[0] != online_colour and closed[1] != "rgba(0, 0, 0, 0)", closed
    snap("closed")


def test_agent_upload_card_names_the_file_enlarges_privately_and_downloads_the_original(
    accepted: Pair, tmp_path: Path, snap: Any
) -> None:
    agent, shopper = accepted
    photo = tmp_path / "my-old-shoe.jpg"
    photo.write_bytes(photo_jpeg((1600, 1200)))
    shopper.by("upload-input").set_input_files(photo)

    card = agent.by("uploads-list").get_by_test_id("upload-card")
    expect(card).to_have_attribute("data-status", "ready")
    expect(card.get_by_test_id("upload-facts")).to_have_text(
        re.compile(r"^my-old-shoe\.jpg · \d\d?:\d\d( [AP]M)? · \d+(\.\d)? [KM]?B · 1600 × 1200$")
    )
    quality = card.get_by_test_id("upload-blur-score")
    expect(quality).to_have_text("Sharp photo")
    expect(quality).to_have_attribute("data-quality", "sharp")
    snap("card")

    agent.press(card.get_by_test_id("upload-enlarge"))
    lightbox = agent.by("agent-lightbox")
    expect(lightbox).to_be_visible()
    expect(lightbox).to_contain_text("my-old-shoe.jpg")
    shown = agent.by("lightbox-media")
    size = shown.evaluate("img => img.decode().then(() => [img.naturalWidth, img.naturalHeight])")
    assert size == [1600, 1200]
    snap("lightbox")
    # Private: nothing was sent and the shopper's viewer did not change.
    assert agent.sent("viewer.show") == []
    expect(shopper.by("viewer")).to_have_attribute("data-kind", "none")
    agent.page.keyboard.press("Escape")
    expect(lightbox).to_be_hidden()

    with agent.page.expect_download() as download:
        agent.press(card.get_by_test_id("upload-original"))
    saved = tmp_path / "downloaded"
    download.value.save_as(saved)
    assert saved.read_bytes() == photo.read_bytes()


def test_pin_for_a_caller_shows_by_its_button_and_old_errors_go(accepted: Pair, snap: Any) -> None:
    agent, shopper = accepted
    agent.press(agent.by("agent-pin-issue"))
    display = agent.by("agent-pin-display")
    expect(display).to_be_visible()
    expect(
        agent.page.locator(".cv-conv-header").get_by_test_id("agent-pin-display")
    ).to_be_visible()
    button = agent.by("agent-pin-issue").bounding_box()
    shown = display.bounding_box()
    assert button and shown and 0 <= shown["y"] - (button["y"] + button["height"]) < 80, (
        button,
        shown,
    )
    expect(agent.by("agent-pin-expiry")).to_be_in_viewport()
    snap("issued")

    # A wrong PIN's notice goes once the agent does something else.
    agent.by("agent-pin-input").press_sequentially("12345678")
    agent.press(agent.by("agent-pin-redeem"))
    notice = agent.by("console-notice")
    expect(notice).to_be_visible()
    agent.press(agent.by("active-conversation"))
    expect(notice).to_be_hidden()

    # The same in the widget: typing again clears "not valid".
    shopper.press(shopper.by("phone-toggle"))
    shopper.by("pin-input").press_sequentially("12345678")
    shopper.press(shopper.by("pin-redeem"))
    expect(shopper.by("pin-error")).not_to_have_text("")
    shopper.by("pin-input").fill("1")
    expect(shopper.by("pin-error")).to_have_text("")


def test_shopper_who_read_out_a_pin_is_told_they_are_connected(
    server: Any, agent: AgentConsole, visitor: ShopperWidget, snap: Any
) -> None:
    shopper = visitor
    shopper.press(shopper.by("phone-toggle"))
    shopper.press(shopper.by("pin-show"))
    expect(shopper.by("pin-display")).not_to_have_text("")
    pin = shopper.by("pin-display").inner_text()
    agent.by("agent-pin-input").press_sequentially(pin.replace(" ", ""))
    agent.press(agent.by("agent-pin-redeem"))
    agent.expect_selected(shopper.conversation_id())

    expect(shopper.by("pin-connected")).to_be_visible()
    expect(shopper.by("pin-show")).to_be_hidden()
    expect(shopper.by("pin-display")).to_have_text("")
    snap("connected")


def test_an_agent_at_capacity_is_asked_before_taking_one_more(
    api: APIRequestContext,
    accepted: Pair,
    contexts: Any,
    sides: list[tuple[str, Side]],
    snap: Any,
) -> None:
    """Issue 24, 7: the agent sees their load; at capacity a shopper's PIN and the queue's
    Accept ask first (taken on "Take it anyway", left on Cancel)."""
    agent, _ = accepted
    load = agent.by("agent-load")
    expect(load).to_have_text("Chats 1/3")
    alex = [a for a in api.get("/api/team").json()["agents"] if a["name"] == "Alex"][-1]
    assert api.patch(f"/api/team/{alex['id']}", data={"capacity": 1}).ok

    page = contexts.new("caller", {**PHONE, "locale": "es-ES"}).new_page()
    caller = ShopperWidget(page, agent.origin)
    sides.append(("caller", caller))
    page.goto(f"{agent.origin}/demo?lang=es")
    caller.press(caller.by("widget-launcher"))
    caller.press(caller.by("phone-toggle"))
    caller.press(caller.by("pin-show"))
    expect(caller.by("pin-display")).not_to_have_text("")
    agent.by("agent-pin-input").fill(caller.by("pin-display").inner_text())
    agent.press(agent.by("agent-pin-redeem"))
    dialog = agent.by("capacity-dialog")
    expect(dialog).to_be_visible()
    expect(agent.by("capacity-question")).to_have_text("Chats open: 1 of 1. Take one more anyway?")
    expect(load).to_have_attribute("data-full", "true")
    snap("asked")
    agent.press(agent.by("capacity-override"))
    agent.expect_selected(caller.conversation_id())
    expect(caller.by("pin-connected")).to_be_visible()
    expect(load).to_have_text("Chats 2/1")

    waiting = page.request.post(f"{agent.origin}/api/conversations", data={}).json()
    item = agent.page.locator(f'[data-testid="queue-item"][data-conversation-id="{waiting["id"]}"]')
    agent.press(item.get_by_test_id("queue-accept"))
    agent.press(dialog.get_by_role("button", name="Cancel"))
    expect(dialog).to_be_hidden()
    expect(item.get_by_test_id("queue-accept")).to_be_enabled()
    expect(load).to_have_text("Chats 2/1")
    snap("declined")
    # Out of the queue the module's later tests read.
    assert api.post(f"/api/conversations/{waiting['id']}/accept", data={}).ok


def test_a_transcript_is_in_the_readers_zone_and_says_which(
    accepted: Pair, contexts: Any, sides: list[tuple[str, Side]], snap: Any
) -> None:
    """Issue 24, 9: the printable transcript in the zone of the browser reading it (Tokyo
    here, whatever the server's), named with its offset."""
    agent, shopper = accepted
    agent.send_chat("Your parcel leaves today.")
    expect(shopper.message("Your parcel leaves today.")).to_have_count(1)
    key = f"covisor:conversation:{shopper.origin}"
    stored = shopper.page.evaluate("key => JSON.parse(localStorage.getItem(key))", key)
    headers = {"Authorization": f"Bearer {stored['token']}"}
    options = {**PHONE, "timezone_id": "Asia/Tokyo", "extra_http_headers": headers}
    page: Page = contexts.new("reader", options).new_page()
    sides.append(("reader", Side(page, shopper.origin)))
    zone = page.evaluate("() => Intl.DateTimeFormat().resolvedOptions().timeZone")
    page.goto(f"{shopper.origin}/api/conversations/{stored['id']}/transcript.html?tz={zone}")
    expect(page.locator("p.meta")).to_contain_text("Times in Asia/Tokyo (UTC+09:00)")
    said = page.locator("li", has_text="Your parcel leaves today.").locator("time")
    at = datetime.fromisoformat(str(said.get_attribute("datetime")))
    expect(said).to_have_text(at.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%Y-%m-%d %H:%M"))


def console_on(contexts: Any, server: Any, options: dict[str, Any], lang: str = "") -> Page:
    page: Page = contexts.new(f"console-{lang or 'en'}", options).new_page()
    page.goto(f"{server.url}/agent" + (f"?lang={lang}" if lang else ""))
    page.get_by_test_id("agent-use-token").click()
    page.get_by_test_id("agent-token-input").fill(server.add_agent("Alex"))
    page.get_by_test_id("agent-login").click()
    expect(page.get_by_test_id("connection-state")).to_have_attribute("data-online", "true")
    return page


def test_phone_sized_console_keeps_the_new_pin_and_its_expiry_on_screen(
    server: Any, contexts: Any, sides: list[tuple[str, Side]], snap: Any
) -> None:
    page = console_on(contexts, server, PHONE)
    agent = AgentConsole(page, server.url, "Alex")
    sides.append(("agent-phone", agent))
    snap("list")
    agent.press(agent.by("agent-phone-new"))
    expect(agent.by("agent-pin-display")).to_be_visible()
    expiry = agent.by("agent-pin-expiry")
    expect(expiry).to_have_text(re.compile(r"^Valid for \d+:\d\d$"))
    expect(expiry).to_be_in_viewport(ratio=1)
    tabs = agent.by("tab-list").bounding_box()
    box = expiry.bounding_box()
    assert tabs and box and box["y"] + box["height"] <= tabs["y"], (box, tabs)
    expect(agent.by("active-conversation")).to_contain_text("Phone caller")
    snap("pin")

    agent.press(agent.by("tab-chat"))
    agent.press(agent.by("agent-pin-issue"))
    expect(agent.by("agent-pin-expiry")).to_be_in_viewport(ratio=1)
    snap("pin-for-caller")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_console_in_german_with_a_skip_link_past_the_lists(
    viewport: str,
    server: Any,
    contexts: Any,
    shopper: ShopperWidget,
    sides: list[tuple[str, Side]],
    snap: Any,
) -> None:
    options = {**(DESKTOP if viewport == "desktop" else PHONE), "locale": "de-DE"}
    page = console_on(contexts, server, options, lang="de")
    agent = AgentConsole(page, server.url, "Alex")
    sides.append((f"agent-de-{viewport}", agent))
    expect(agent.by("queue-item")).to_contain_text("Kundin/Kunde")
    snap("queue")
    agent.accept(shopper.conversation_id())
    # Issue 24, 4: an anonymous shopper has a code of their own, the same in every list.
    name = agent.by("active-conversation").get_by_test_id("shopper-name").inner_text()
    assert re.fullmatch(r"Kundin/Kunde [A-Z0-9]{3}", name), name
    expect(agent.by("conversation-title")).to_have_text(name)
    expect(agent.by("visitors-list").get_by_text(name, exact=True)).to_be_attached()
    shopper.send_chat("Hallo?")
    expect(agent.message("Hallo?").locator(".cv-author")).to_have_text("Kundin/Kunde")
    expect(agent.by("tab-list")).to_have_text("Gespräche")
    # Issue 24, 10: "Chat", not "Chat0"; one page in the singular; no green "Online" pill
    # beside "Abwesend" (the pill shows only while not connected).
    expect(agent.by("tab-chat")).to_have_text("Chat")
    expect(page.get_by_text(re.compile(r"^1 Seite · ")).first).to_be_attached()
    agent.by("agent-status").select_option("away")
    expect(agent.by("connection-state")).to_be_hidden()

    # Reloaded, the console reopens the conversation it had open, not the first listed; the
    # first Tab reaches the skip link.
    second = page.request.post(f"{server.url}/api/conversations", data={}).json()["id"]
    if viewport == "phone":
        agent.press(agent.by("tab-list"))
    agent.accept(second)
    names = agent.by("active-conversation").get_by_test_id("shopper-name").all_inner_texts()
    assert len(set(names)) == 2, names
    for kept in (second, shopper.conversation_id()):  # the default can only be one of them
        if viewport == "phone":
            agent.press(agent.by("tab-list"))
        agent.press(
            page.locator(f'[data-testid="active-conversation"][data-conversation-id="{kept}"]')
        )
        agent.expect_selected(kept)
        page.reload()
        agent.expect_selected(kept)
    page.keyboard.press("Tab")
    skip = agent.by("skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_text("Zum Gespräch springen")
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(agent.by("chat-input")).to_be_focused()
    agent.press(agent.by("agent-pin-issue"))
    expect(agent.by("agent-pin-expiry")).to_have_text(re.compile(r"^Gültig"))
    snap("conversation")


def test_a_failed_upload_shows_its_error_without_a_progress_bar(
    accepted: Pair, tmp_path: Path, snap: Any
) -> None:
    _, shopper = accepted
    fake = tmp_path / "not-a-photo.jpg"
    fake.write_bytes(b"this is text, not a JPEG\n" * 40)
    shopper.by("upload-input").set_input_files(fake)
    item = shopper.by("upload-item")
    expect(item).to_have_attribute("data-status", "failed")
    expect(item.get_by_test_id("upload-progress")).to_be_hidden()
    expect(item.locator(".cv-tray-status")).to_be_visible()
    snap("failed")
