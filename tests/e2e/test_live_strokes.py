"""Strokes drawn live: the other side sees the line grow while the pen is still down (`points`
pushes, not sequenced), a viewer who reloads mid-stroke gets the line so far in its snapshot, and
the points a drawer draws while its connection is down reach the others once it is back
(PROTOCOL.md: the `points` push, the `stroke.points` row, *Joining and catching up*).

Lines are checked as pixels of the annotation canvas in image-normalised coordinates, as in
test_shared_session.py, and what went over the wire from each side's recorded frames.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Snap
from tests.e2e.polling import eventually
from tests.e2e.sides import AgentConsole, Finger, Frame, ShopperWidget, Side
from tests.e2e.test_shared_session import RED, SNEAKER, assert_stroke_between, show_sneaker

pytestmark = pytest.mark.browser

Pair = tuple[AgentConsole, ShopperWidget]
Point = tuple[float, float]

START, END = (0.3, 0.35), (0.7, 0.65)
"""Each test draws one straight stroke from START to END (image-normalised), with pauses."""


def at(fraction: float) -> Point:
    """The point `fraction` of the way from START to END."""
    return (
        START[0] + (END[0] - START[0]) * fraction,
        START[1] + (END[1] - START[1]) * fraction,
    )


def along(start: float, end: float, steps: int) -> list[Point]:
    """The points from `at(start)` (excluded) to `at(end)` in `steps` even steps."""
    return [at(start + (end - start) * i / steps) for i in range(1, steps + 1)]


def assert_line(side: Side, start: float, end: float) -> dict[str, Any]:
    """The canvas shows a RED line from `at(start)` to `at(end)` (`assert_stroke_between`) with
    pixels of the colour all along it: not only a line whose ends and centre are right."""
    footprint = assert_stroke_between(side, RED, at(start), at(end))
    spots = [at(start), *along(start, end, 8)]
    near = side.pixels_near(spots, RED)
    missing = [spot for spot, found in zip(spots, near, strict=True) if found["matching"] == 0]
    assert missing == [], (missing, near)
    return footprint


def delivered(side: Side) -> list[Frame]:
    """The frames the tab sent and received so far. Playwright reports frames only while the
    test is in one of its calls, so this makes a round trip to the page first."""
    side.page.evaluate("() => 0")
    return side.frames()


def pushes(side: Side, name: str) -> list[Any]:
    """Payloads of the Socket.IO `name` events this tab received, in order."""
    return [
        frame.payload
        for frame in delivered(side)
        if frame.direction == "received" and frame.event == name
    ]


def stroke_ends(side: Side, stroke_id: str) -> list[dict[str, Any]]:
    """The data of the `stroke.end` events of the stroke that this tab received."""
    return [
        event["data"]
        for event in pushes(side, "event")
        if event["type"] == "stroke.end" and event["data"]["stroke_id"] == stroke_id
    ]


def stroke_ended(side: Side, stroke_id: str) -> dict[str, Any]:
    """The data of the one `stroke.end` event of the stroke; fails while there is none."""
    ended = stroke_ends(side, stroke_id)
    assert len(ended) == 1, ended
    return ended[0]


def the_stroke(drawer: Side) -> str:
    """The id of the one stroke the drawer began."""
    begun = drawer.sent("stroke.begin")
    assert len(begun) == 1, begun
    return str(begun[0]["stroke_id"])


def line_sent(drawer: Side, stroke_id: str) -> list[list[float]]:
    """The stroke's line as its drawer sent it: `stroke.begin`'s points, then each `stroke.points`
    batch put at its `index` (a batch sent again covers the same places)."""
    (begin,) = [sent for sent in drawer.sent("stroke.begin") if sent["stroke_id"] == stroke_id]
    line: list[list[float]] = list(begin["points"])
    for batch in drawer.sent("stroke.points"):
        if batch["stroke_id"] == stroke_id:
            index = batch["index"]
            assert index <= len(line), ("a hole in the line", index, len(line))
            line[index : index + len(batch["points"])] = batch["points"]
    return line


def all_points_in(drawer: Side, reached: float) -> list[list[float]]:
    """The drawer has sent its stroke up to `at(reached)` and the server took every batch;
    returns the line sent."""
    delivered(drawer)
    answered = drawer.acks("stroke.begin") + drawer.acks("stroke.points")
    assert answered and all(ack and ack.get("ok") for _, ack in answered), answered
    line = line_sent(drawer, the_stroke(drawer))
    assert line[-1] == pytest.approx(at(reached), abs=1e-4), line
    return line


def agent_pen_down(agent: AgentConsole) -> None:
    """The agent picks RED and presses the mouse on START of the shown image."""
    agent.press(agent.page.locator(f'[data-testid="pen-color"][data-color="{RED}"]'))
    expect(agent.by("tool-pen")).to_have_attribute("aria-pressed", "true")
    agent.page.mouse.move(*agent.viewport_point(*START))
    agent.page.mouse.down()


def agent_drags_to(agent: AgentConsole, fraction: float) -> None:
    """The agent's mouse, still pressed, moves on to `at(fraction)` in small steps."""
    agent.page.mouse.move(*agent.viewport_point(*at(fraction)), steps=12)


def shopper_pen_down(shopper: ShopperWidget) -> Finger:
    """The shopper picks the pen (RED, the default colour) and puts a finger on START."""
    shopper.press(shopper.by("tool-pen"))
    expect(shopper.by("tool-pen")).to_have_attribute("aria-pressed", "true")
    return Finger(shopper, shopper.viewport_point(*START))


def slide(shopper: ShopperWidget, finger: Finger, start: float, end: float) -> None:
    """The shopper's finger slides from `at(start)` to `at(end)`."""
    finger.move([shopper.viewport_point(u, v) for u, v in along(start, end, 8)])


def sent_after_reconnecting(drawer: Side, event: str) -> list[Any]:
    """Payloads of the `event`s the drawer sent on sockets opened after the one its stroke began
    on (a page may have other sockets: the widget's visitor tracking opens one first)."""
    frames = delivered(drawer)
    (dropped,) = {frame.socket for frame in frames if frame.event == "stroke.begin"}
    return [
        frame.payload
        for frame in frames
        if frame.socket > dropped and frame.direction == "sent" and frame.event == event
    ]


def go_offline(shopper: ShopperWidget, agent: AgentConsole) -> None:
    """The shopper's browser goes offline: the widget drops its socket (it listens for the
    browser's `offline` event) and the server sees it go."""
    shopper.page.context.set_offline(True)
    expect(shopper.by("offline-banner")).to_be_visible()
    expect(agent.by("conversation-presence")).to_have_text("Shopper offline")


def come_back(shopper: ShopperWidget, agent: AgentConsole) -> None:
    shopper.page.context.set_offline(False)
    expect(shopper.by("offline-banner")).to_be_hidden()
    expect(agent.by("conversation-presence")).to_have_text("Shopper online")


def test_the_line_grows_on_the_other_side_while_the_pen_is_down(accepted: Pair, snap: Snap) -> None:
    agent, shopper = accepted
    show_sneaker(agent, shopper)

    agent_pen_down(agent)
    agent_drags_to(agent, 0.5)
    eventually(lambda: assert_line(shopper, 0, 0.5))
    assert_line(agent, 0, 0.5)
    stroke_id = the_stroke(agent)
    assert agent.sent("stroke.end") == [], "the mouse is still down"
    live = pushes(shopper, "points")
    assert live and {push["stroke_id"] for push in live} == {stroke_id}, live
    assert [push["index"] for push in live] == sorted({push["index"] for push in live}), live
    assert stroke_ends(shopper, stroke_id) == []
    snap("pen-down")

    agent_drags_to(agent, 1)
    eventually(lambda: assert_line(shopper, 0, 1))
    assert agent.sent("stroke.end") == [], "the mouse is still down"
    snap("pen-still-down")

    agent.page.mouse.up()
    ended = eventually(lambda: stroke_ended(shopper, stroke_id))
    assert ended["points"] == line_sent(agent, stroke_id)
    assert agent.sent("stroke.end") == [
        {"conversation_id": shopper.conversation_id(), "stroke_id": stroke_id}
    ]
    on_phone = assert_line(shopper, 0, 1)
    on_agent = assert_line(agent, 0, 1)
    assert on_phone["centroid"] == pytest.approx(on_agent["centroid"], abs=0.005)
    assert on_phone["box"] == pytest.approx(on_agent["box"], abs=0.01)


def test_a_viewer_who_reloads_mid_stroke_sees_the_line_so_far(accepted: Pair, snap: Snap) -> None:
    agent, shopper = accepted
    show_sneaker(agent, shopper)
    agent_pen_down(agent)
    agent_drags_to(agent, 0.5)
    eventually(lambda: assert_line(shopper, 0, 0.5))
    so_far = eventually(lambda: all_points_in(agent, 0.5))
    stroke_id = the_stroke(agent)

    shopper.page.reload()
    shopper.wait_image_loaded(f"/api/catalogue/{SNEAKER}/")
    eventually(lambda: assert_line(shopper, 0, 0.5))
    _, joined = shopper.acks("join")[-1]
    assert joined["ok"] and joined["mode"] == "snapshot", joined
    (drawn,) = joined["snapshot"]["strokes"]
    assert (drawn["stroke_id"], drawn["done"], drawn["points"]) == (stroke_id, False, so_far)
    assert agent.sent("stroke.end") == [], "the mouse is still down"
    snap("reloaded")

    agent_drags_to(agent, 1)
    eventually(lambda: assert_line(shopper, 0, 1))
    agent.page.mouse.up()
    ended = eventually(lambda: stroke_ended(shopper, stroke_id))
    assert ended["points"] == line_sent(agent, stroke_id)
    assert_line(shopper, 0, 1)
    snap("ended")


def test_points_drawn_while_the_drawer_is_offline_reach_the_other_side(
    accepted: Pair, snap: Snap
) -> None:
    agent, shopper = accepted
    show_sneaker(agent, shopper)
    finger = shopper_pen_down(shopper)
    slide(shopper, finger, 0, 0.5)
    eventually(lambda: assert_line(agent, 0, 0.5))
    online = eventually(lambda: all_points_in(shopper, 0.5))
    stroke_id = the_stroke(shopper)

    go_offline(shopper, agent)
    slide(shopper, finger, 0.5, 1)
    finger.lift()
    eventually(lambda: assert_line(shopper, 0, 1))
    assert_line(agent, 0, 0.5)
    assert all(spot["opaque"] == 0 for spot in agent.pixels_near(along(0.6, 1, 4), RED))
    snap("drawn-offline")

    come_back(shopper, agent)
    eventually(lambda: assert_line(agent, 0, 1))
    ended = eventually(lambda: stroke_ended(agent, stroke_id))
    line = line_sent(shopper, stroke_id)
    assert ended["points"] == line and line[: len(online)] == online
    assert line[-1] == pytest.approx(END, abs=1e-4), line
    # Back online, the widget joined for a snapshot (no `last_seq`), sent the points from where
    # the server's line ended, then `stroke.end`.
    rejoins = sent_after_reconnecting(shopper, "join")
    assert rejoins and "last_seq" not in rejoins[0], rejoins
    resent = sent_after_reconnecting(shopper, "stroke.points")
    assert resent and resent[0]["index"] == len(online), resent
    assert len(sent_after_reconnecting(shopper, "stroke.end")) == 1
    snap("back-online")

    # What the server stored: the console, reloaded, draws the stroke from a fresh join.
    agent.page.reload()
    agent.expect_selected(shopper.conversation_id())
    agent.wait_image_loaded(f"/api/catalogue/{SNEAKER}/")
    eventually(lambda: assert_line(agent, 0, 1))


def test_a_drawer_back_online_with_the_pen_still_down_draws_on(accepted: Pair, snap: Snap) -> None:
    agent, shopper = accepted
    show_sneaker(agent, shopper)
    finger = shopper_pen_down(shopper)
    slide(shopper, finger, 0, 1 / 3)
    eventually(lambda: assert_line(agent, 0, 1 / 3))
    eventually(lambda: all_points_in(shopper, 1 / 3))
    stroke_id = the_stroke(shopper)

    go_offline(shopper, agent)
    slide(shopper, finger, 1 / 3, 2 / 3)
    come_back(shopper, agent)
    eventually(lambda: assert_line(agent, 0, 2 / 3))
    assert shopper.sent("stroke.end") == [], "the finger is still down"
    assert stroke_ends(agent, stroke_id) == []
    snap("back-pen-down")

    slide(shopper, finger, 2 / 3, 1)
    eventually(lambda: assert_line(agent, 0, 1))
    finger.lift()
    ended = eventually(lambda: stroke_ended(agent, stroke_id))
    line = line_sent(shopper, stroke_id)
    assert ended["points"] == line
    assert line[-1] == pytest.approx(END, abs=1e-4), line
    assert len(shopper.sent("stroke.end")) == 1
    assert_line(shopper, 0, 1)
