"""A shopper on a phone and an agent on a desktop, in real Chromium against `covisor serve`.

Everything is checked where a person would see it: chat in the message lists, the shared view as
the image's on-screen geometry, strokes as pixels of the annotation canvas (compared in
image-normalised coordinates, since the phone and the desktop show the image at different sizes),
video as both players' clocks.
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Response, expect

from tests.e2e.media_files import photo_jpeg
from tests.e2e.polling import eventually
from tests.e2e.sides import (
    DESKTOP,
    GREETING,
    PHONE,
    UPLOAD,
    AgentConsole,
    ShopperWidget,
    Side,
)

pytestmark = pytest.mark.browser

Pair = tuple[AgentConsole, ShopperWidget]

SNEAKER = "trail-sneaker"
ACCEPTED = "Alex joined the chat"
RED = "#e53935"
BLUE = "#1e88e5"


def show_sneaker(agent: AgentConsole, shopper: ShopperWidget) -> None:
    agent.show_catalogue_item(SNEAKER)
    for side in (agent, shopper):
        loaded = side.wait_image_loaded(f"/api/catalogue/{SNEAKER}/")
        assert (loaded["width"], loaded["height"]) == (1200, 900)


def test_opening_the_widget_on_a_desktop_puts_the_cursor_in_an_empty_chat(
    server: Any, contexts: Any, sides: list[tuple[str, Side]], snap: Any
) -> None:
    desktop = ShopperWidget(contexts.new("desktop", DESKTOP).new_page(), server.url, touch=False)
    sides.append(("desktop", desktop))
    desktop.open_widget()

    expect(desktop.by("chat-input")).to_be_focused()
    expect(desktop.by("widget-panel")).to_have_attribute("data-status", "new")
    expect(desktop.by("upload-input")).to_be_enabled()
    stored = desktop.page.evaluate(
        "() => Object.keys(localStorage).filter(k => k.startsWith('covisor:conversation:'))"
    )
    assert stored == [], "opening the chat creates and keeps no conversation"
    expect(desktop.by("message-list")).not_to_have_attribute("tabindex", "0")


def grouped(digits: str) -> str:
    """Digits grouped by three, as PINs are shown and typed ("48291307" → "482 913 07")."""
    return re.sub(r"(\d{3})(?=\d)", r"\1 ", digits)


def pin_shape(length: int) -> re.Pattern[str]:
    """A shown PIN of `length` digits."""
    return re.compile("^" + re.escape(grouped("0" * length)).replace("0", r"\d") + "$")


def test_widget_and_console_keep_to_the_limits_the_server_announces(
    server: Any, agent: AgentConsole, visitor: ShopperWidget
) -> None:
    answer = agent.page.request.get(f"{server.url}/api/config")
    assert answer.ok and answer.json()["limits"].items() >= server.limits.items(), answer.text()
    pin_length, max_chars = server.limits["pin_length"], server.limits["max_message_chars"]
    placeholder = grouped("0" * pin_length)
    for side, field in ((visitor, "pin-input"), (agent, "agent-pin-input")):
        expect(side.by("chat-input")).to_have_attribute("maxlength", str(max_chars))
        expect(side.by(field)).to_have_attribute("maxlength", str(len(placeholder)))
        expect(side.by(field)).to_have_attribute("placeholder", placeholder)

    visitor.press(visitor.by("phone-toggle"))
    typed = "1234567890123"
    visitor.by("pin-input").press_sequentially(typed)
    expect(visitor.by("pin-input")).to_have_value(grouped(typed[:pin_length]))


def test_chat_messages_reach_the_other_side_in_the_same_order(accepted: Pair, snap: Any) -> None:
    agent, shopper = accepted
    expect(agent.by("conversation-presence")).to_have_text("Shopper online")
    for side in (agent, shopper):
        expect(side.by("system-message")).to_have_text(ACCEPTED)
    assert agent.timeline() == shopper.timeline() == [GREETING, ACCEPTED]

    shopper.send_chat("Hi! Does the trail sneaker run small?")
    expect(agent.message("Hi! Does the trail sneaker run small?")).to_have_count(1)
    agent.send_chat("It runs true to size.")
    agent.send_chat("Let me show you the sole.")
    for side in (agent, shopper):
        expect(side.message("Let me show you the sole.")).to_have_count(1)

    expected = [
        GREETING,
        "Hi! Does the trail sneaker run small?",
        "It runs true to size.",
        "Let me show you the sole.",
    ]
    assert [text for _, text in shopper.messages()] == expected
    assert agent.messages() == shopper.messages()
    mine = shopper.message(expected[1])
    expect(mine).to_have_attribute("data-mine", "true")
    expect(agent.message(expected[1])).to_have_attribute("data-role", "customer")
    expect(agent.message(expected[1])).to_have_attribute("data-mine", "false")
    snap("chat")

    shopper.page.reload()
    expect(shopper.message(expected[-1])).to_have_count(1)
    expect(shopper.by("system-message")).to_have_text(ACCEPTED)
    assert shopper.messages() == agent.messages()
    expect(shopper.by("chat-input")).not_to_be_focused()


def test_image_shown_by_the_agent_appears_on_the_phone(accepted: Pair, snap: Any) -> None:
    agent, shopper = accepted
    expect(shopper.by("viewer")).to_be_hidden()
    thumbs = agent.by("catalogue-item").locator("img")
    expect(thumbs.first).to_be_visible()
    fits = thumbs.evaluate_all("images => images.map((img) => getComputedStyle(img).objectFit)")
    assert fits and set(fits) == {"contain"}, fits

    show_sneaker(agent, shopper)

    assert agent.sent("viewer.show") == [
        {"conversation_id": shopper.conversation_id(), "media_id": SNEAKER}
    ]
    expect(shopper.by("viewer")).to_have_attribute("data-kind", "image")
    for side in (agent, shopper):
        geometry = side.geometry()
        assert geometry["scale"] == pytest.approx(1, abs=0.01)
        assert geometry["centre"] == pytest.approx([0.5, 0.5], abs=0.005)
    snap("shown")


def contains(outer: dict[str, float], inner: dict[str, float], slack: float = 0.006) -> bool:
    """`outer` covers `inner` (regions `{cx, cy, w, h}`), up to a pixel or so of rounding."""
    return all(
        outer[c] - outer[d] / 2 <= inner[c] - inner[d] / 2 + slack
        and outer[c] + outer[d] / 2 >= inner[c] + inner[d] / 2 - slack
        for c, d in (("cx", "w"), ("cy", "h"))
    )


def assert_same_region(leader: Side, follower: Side, min_zoom: float) -> dict[str, Any]:
    """The follower shows all of the region the leader sees, centred on the same image point and
    as large as its screen allows (letterboxed: tight along one axis), whatever the shapes of the
    two screens (issue 11 #4)."""
    lead, follow = leader.geometry(), follower.geometry()
    assert lead["zoom"] > min_zoom, lead
    seen, shown = leader.visible_region(), follower.visible_region()
    assert contains(shown, seen), (seen, shown)
    assert follow["centre"] == pytest.approx(lead["centre"], abs=0.01), (lead, follow)
    tight = min(abs(shown["w"] - seen["w"]), abs(shown["h"] - seen["h"]))
    assert tight < 0.01 or follow["zoom"] >= 10, (seen, shown)
    return lead


def test_zoom_on_one_side_shows_the_same_region_on_the_other(accepted: Pair, snap: Any) -> None:
    agent, shopper = accepted
    show_sneaker(agent, shopper)

    anchor = agent.viewport_point(0.4, 0.45)
    agent.page.mouse.move(*anchor)
    agent.page.mouse.wheel(0, -400)
    zoomed = eventually(lambda: assert_same_region(agent, shopper, min_zoom=1.5))
    assert agent.viewport_point(0.4, 0.45) == pytest.approx(anchor, abs=1.0)
    snap("agent-zoomed")

    left, top, width, height = shopper.geometry()["stage"]
    middle = (left + width / 2, top + height / 2)
    shopper.touches(
        [
            [(middle[0] - spread, middle[1]), (middle[0] + spread, middle[1])]
            for spread in range(30, 111, 10)
        ]
    )
    pinched = eventually(lambda: assert_same_region(shopper, agent, min_zoom=zoomed["zoom"] * 2))
    assert pinched["zoom"] <= 10
    snap("shopper-pinched")

    agent.press(agent.by("zoom-reset"))
    eventually(lambda: assert_same_region(agent, shopper, min_zoom=0))
    expect(shopper.stage).to_have_attribute("data-zoom", "1.00")


def assert_stroke_between(
    side: Side, color: str, start: tuple[float, float], end: tuple[float, float]
) -> dict[str, Any]:
    """The canvas shows a line of `color` from `start` to `end` (image-normalised) and nothing of
    that colour elsewhere."""
    footprint = side.stroke_footprint(color)
    assert footprint["count"] > 0, footprint
    middle = [(start[0] + end[0]) / 2, (start[1] + end[1]) / 2]
    assert footprint["centroid"] == pytest.approx(middle, abs=0.01), footprint
    (u0, v0), (u1, v1) = start, end
    box = [min(u0, u1), min(v0, v1), max(u0, u1), max(v0, v1)]
    assert footprint["box"] == pytest.approx(box, abs=0.02), footprint
    return footprint


def test_strokes_drawn_on_one_side_appear_on_the_others_canvas(
    server: Any, accepted: Pair, snap: Any
) -> None:
    agent, shopper = accepted
    show_sneaker(agent, shopper)

    shopper.press(shopper.by("tool-pen"))
    expect(shopper.by("tool-pen")).to_have_attribute("aria-pressed", "true")
    start, end = (0.3, 0.35), (0.7, 0.65)
    steps = 16
    line = [
        (start[0] + (end[0] - start[0]) * i / steps, start[1] + (end[1] - start[1]) * i / steps)
        for i in range(steps + 1)
    ]
    shopper.touch_drag([shopper.viewport_point(u, v) for u, v in line])

    on_agent = eventually(lambda: assert_stroke_between(agent, RED, start, end))
    on_phone = assert_stroke_between(shopper, RED, start, end)
    assert on_agent["centroid"] == pytest.approx(on_phone["centroid"], abs=0.005)
    assert on_agent["box"] == pytest.approx(on_phone["box"], abs=0.01)
    on_line = [(0.35, 0.3875), (0.45, 0.4625), (0.6, 0.575)]
    off_line = [(0.35, 0.6), (0.6, 0.4), (0.5, 0.2)]
    for side in (agent, shopper):
        near = side.pixels_near(on_line + off_line, RED)
        assert all(spot["matching"] > 0 for spot in near[: len(on_line)]), near
        assert all(spot["opaque"] == 0 for spot in near[len(on_line) :]), near
    snap("shopper-drew")

    agent.press(agent.page.locator(f'[data-testid="pen-color"][data-color="{BLUE}"]'))
    expect(agent.by("tool-pen")).to_have_attribute("aria-pressed", "true")
    mouse = agent.page.mouse
    mouse.move(*agent.viewport_point(0.3, 0.65))
    mouse.down()
    mouse.move(*agent.viewport_point(0.7, 0.35), steps=16)
    mouse.up()

    eventually(lambda: assert_stroke_between(shopper, BLUE, (0.3, 0.65), (0.7, 0.35)))
    assert_stroke_between(agent, BLUE, (0.3, 0.65), (0.7, 0.35))
    assert shopper.stroke_footprint(RED)["count"] > 0
    snap("agent-drew")
    # Both drew in batches of at most the server's max_stroke_points (8 here, not 256).
    for side in (agent, shopper):
        batches = [len(sent["points"]) for sent in side.sent("stroke.points")]
        assert batches and max(batches) <= server.limits["max_stroke_points"], batches


NUDGE_BAND_S = 0.1
"""PROTOCOL.md "Video clock and drift correction": a player within 0.1 s of the expected position
is left alone; beyond it, a playing player is nudged (up to 1 s off) or seeks (past 1 s), a paused
one seeks. Two settled players are each within the band of the shared position, so within twice
the band of each other, playing or paused."""


def players_in_step(
    agent: AgentConsole, shopper: ShopperWidget, *, playing: bool, past: float = 0.0
) -> float:
    """Both players play (or are paused) past `past` seconds and agree within the documented
    tolerance; returns the agent's position."""
    ours, theirs = agent.video(), shopper.video()
    for sample in (ours, theirs):
        assert sample.paused is not playing and not sample.ended, (ours, theirs)
        assert sample.time >= past, (ours, theirs)
    assert abs(ours.at(theirs.now) - theirs.time) <= 2 * NUDGE_BAND_S, (ours, theirs)
    return ours.time


def assert_ready(side: Side) -> None:
    sample = side.video()
    assert sample.ready >= 1 and sample.duration == pytest.approx(30, abs=0.2), sample


def assert_rate(side: Side, rate: float) -> None:
    sample = side.video()
    assert sample.rate == pytest.approx(rate), sample


def assert_paused_at(side: Side, position: float) -> None:
    sample = side.video()
    assert sample.paused and abs(sample.time - position) <= NUDGE_BAND_S, sample


def test_video_play_seek_and_pause_follow_within_the_drift_tolerance(
    counter_video: str, accepted: Pair, snap: Any
) -> None:
    agent, shopper = accepted
    agent.show_catalogue_item(counter_video)
    for side in (agent, shopper):
        expect(side.by("video-controls")).to_be_visible()
        eventually(partial(assert_ready, side))

    agent.press(agent.by("video-play"))
    eventually(lambda: players_in_step(agent, shopper, playing=True, past=0.5))
    snap("playing")

    agent.by("video-seek").fill("8")
    position = eventually(lambda: players_in_step(agent, shopper, playing=True))
    assert 8 <= position < 10

    # A stalled or skipping player: over 1 s off it seeks, below it is nudged back in step.
    shopper.by("viewer-video").evaluate("video => { video.currentTime += 3; }")
    eventually(lambda: players_in_step(agent, shopper, playing=True))
    shopper.by("viewer-video").evaluate("video => { video.currentTime += 0.4; }")
    eventually(partial(assert_rate, shopper, 0.95))
    eventually(lambda: players_in_step(agent, shopper, playing=True))
    eventually(partial(assert_rate, shopper, 1))

    shopper.press(shopper.by("video-play"))
    eventually(lambda: players_in_step(agent, shopper, playing=False))
    snap("paused")

    shopper.by("video-seek").fill("5")
    for side in (agent, shopper):
        eventually(partial(assert_paused_at, side, 5.0))
    snap("sought")


def test_photo_uploaded_on_the_phone_reaches_the_agent_processed(
    accepted: Pair, tmp_path: Path, snap: Any
) -> None:
    agent, shopper = accepted
    photo = tmp_path / "my-old-shoe.jpg"
    photo.write_bytes(photo_jpeg((1600, 1200)))

    def is_upload(response: Response) -> bool:
        return response.request.method == "POST" and "/media?" in response.url

    with shopper.page.expect_response(is_upload) as uploaded:
        shopper.by("upload-input").set_input_files(photo)
    upload_id = parse_qs(urlsplit(uploaded.value.url).query)["upload_id"][0]
    assert re.fullmatch(r"u_[0-9a-z]{20}", upload_id), upload_id
    assert uploaded.value.status == 201 and uploaded.value.json()["upload_id"] == upload_id

    card = agent.by("uploads-list").get_by_test_id("upload-card")
    expect(card).to_have_attribute("data-status", "ready")
    thumb = card.get_by_test_id("upload-thumb")
    loaded = thumb.evaluate(
        "img => img.decode().then(() => ({src: img.currentSrc, width: img.naturalWidth}))"
    )
    assert loaded["width"] > 0
    url = urlsplit(loaded["src"])
    media_id = card.get_attribute("data-media-id")
    assert url.path.startswith(f"/api/conversations/{shopper.conversation_id()}/media/{media_id}/")
    assert {"exp", "sig"} <= parse_qs(url.query).keys()
    assert agent.page.request.get(loaded["src"]).ok
    assert agent.page.request.get(url._replace(query="").geturl()).status in (401, 403, 404)
    expect(card.get_by_test_id("upload-blur-score")).to_have_text("Sharp photo")
    own = shopper.by("upload-card")
    expect(own).to_have_attribute("data-status", "ready")
    expect(own.get_by_test_id("blur-warning")).to_have_count(0)
    snap("uploaded")

    agent.press(card.get_by_test_id("upload-show"))
    for side in (agent, shopper):
        shown = side.wait_image_loaded(f"/media/{media_id}/display")
        assert (shown["width"], shown["height"]) == (1600, 1200)
    assert agent.sent("viewer.show") == [
        {"conversation_id": shopper.conversation_id(), "media_id": media_id}
    ]
    snap("shown")

    shopper.send_chat("That is the one I have.")
    expect(agent.message("That is the one I have.")).to_have_count(1)
    shopper.page.reload()
    expect(shopper.message("That is the one I have.")).to_have_count(1)
    expect(shopper.by("upload-card")).to_have_attribute("data-status", "ready")
    in_order = [GREETING, UPLOAD, "That is the one I have."]
    assert [item for item in shopper.timeline() if item in in_order] == in_order


def test_blurry_photo_warns_the_shopper_and_scores_blurry_for_the_agent(
    accepted: Pair, tmp_path: Path
) -> None:
    agent, shopper = accepted
    photo = tmp_path / "shaky.jpg"
    photo.write_bytes(photo_jpeg((1200, 900), blur=12))

    shopper.by("upload-input").set_input_files(photo)

    own = shopper.by("upload-card")
    expect(own).to_have_attribute("data-status", "ready")
    expect(own.get_by_test_id("blur-warning")).to_be_visible()
    expect(own.get_by_test_id("upload-retake")).to_be_visible()
    score = agent.by("uploads-list").get_by_test_id("upload-blur-score")
    expect(score).to_have_text("Blurry: ask for a sharper photo")


def test_caller_joins_the_agents_session_with_a_pin_from_a_third_context(
    accepted: Pair, server: Any, contexts: Any, sides: list[tuple[str, Side]], snap: Any
) -> None:
    agent, shopper = accepted
    shopper.send_chat("My partner is calling you about it.")
    show_sneaker(agent, shopper)
    agent.press(agent.by("agent-pin-issue"))
    expect(agent.by("agent-pin-display")).to_have_text(pin_shape(server.limits["pin_length"]))
    pin = agent.by("agent-pin-display").inner_text()

    caller = ShopperWidget(contexts.new("caller", PHONE).new_page(), server.url)
    sides.append(("caller", caller))
    caller.open_widget()
    expect(caller.by("chat-input")).not_to_be_focused()
    caller.press(caller.by("phone-toggle"))
    caller.by("pin-input").press_sequentially(pin.replace(" ", ""))
    expect(caller.by("pin-input")).to_have_value(pin)
    caller.press(caller.by("pin-redeem"))

    expect(caller.by("phone-panel")).to_be_hidden()
    expect(caller.by("conversation-status")).to_contain_text("Alex")
    assert caller.conversation_id() == shopper.conversation_id()
    expect(caller.message("My partner is calling you about it.")).to_have_count(1)
    caller.wait_image_loaded(f"/api/catalogue/{SNEAKER}/")
    expect(agent.by("system-message").filter(has_text="joined by phone")).to_have_count(1)
    expect(agent.by("agent-pin-display")).to_have_text("")
    expect(agent.by("agent-pin-expiry")).to_have_text("")
    expect(agent.by("queue-count")).to_have_text("0")
    for side in (agent, shopper):
        expect(side.by("system-message")).to_have_text([ACCEPTED, "Caller joined by phone"])
    expect(caller.by("system-message")).to_have_text([ACCEPTED])  # not told about themselves
    caller.send_chat("Hello, I am the one on the phone.")
    for side in (agent, shopper):
        expect(side.message("Hello, I am the one on the phone.")).to_have_count(1)
    snap("joined")


def test_agent_links_the_shopper_who_reads_out_a_pin(
    server: Any, agent: AgentConsole, visitor: ShopperWidget, snap: Any
) -> None:
    shopper = visitor
    expect(shopper.by("chat-input")).not_to_be_focused()
    shopper.press(shopper.by("phone-toggle"))
    shopper.press(shopper.by("pin-show"))
    expect(shopper.by("pin-display")).to_have_text(pin_shape(server.limits["pin_length"]))
    pin = shopper.by("pin-display").inner_text()

    agent.by("agent-pin-input").press_sequentially(pin.replace(" ", ""))
    expect(agent.by("agent-pin-input")).to_have_value(pin)
    agent.press(agent.by("agent-pin-redeem"))

    agent.expect_selected(shopper.conversation_id())
    expect(shopper.by("pin-display")).to_have_text("")
    expect(shopper.by("pin-expiry")).to_have_text("")
    shopper.press(shopper.by("phone-close"))
    expect(shopper.by("widget-panel")).to_have_attribute("data-status", "active")
    expect(shopper.by("conversation-status")).to_contain_text("Alex")
    agent.send_chat("Got your PIN, I can see your chat now.")
    expect(shopper.message("Got your PIN, I can see your chat now.")).to_have_count(1)
    snap("linked")


def test_shopper_back_online_has_every_message_once_in_order(accepted: Pair, snap: Any) -> None:
    agent, shopper = accepted
    agent.send_chat("Before the drop")
    expect(shopper.message("Before the drop")).to_have_count(1)

    shopper.page.context.set_offline(True)
    expect(shopper.by("offline-banner")).to_be_visible()
    expect(agent.by("conversation-presence")).to_have_text("Shopper offline")
    missed = [f"While you were away, {n}" for n in ("one", "two", "three", "four", "five")]
    for text in missed:
        agent.send_chat(text)
    expect(agent.message(missed[-1])).to_have_count(1)
    shopper.send_chat("Typed while offline")
    expect(shopper.by("message-pending")).to_have_attribute("data-status", "offline")
    assert [text for _, text in shopper.messages()] == [GREETING, "Before the drop"]
    snap("offline")

    shopper.page.context.set_offline(False)
    expect(shopper.by("offline-banner")).to_be_hidden()
    expect(shopper.message("Typed while offline")).to_have_count(1)
    expect(shopper.by("message-pending")).to_have_count(0)
    expect(agent.message("Typed while offline")).to_have_count(1)
    expect(agent.by("conversation-presence")).to_have_text("Shopper online")

    expected = [GREETING, "Before the drop", *missed, "Typed while offline"]
    caught_up = shopper.messages()
    assert [text for _, text in caught_up] == expected
    seqs = [seq for seq, _ in caught_up]
    assert seqs == sorted(set(seqs))
    assert agent.messages() == caught_up
    snap("caught-up")
