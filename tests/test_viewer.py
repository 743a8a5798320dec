"""The pure viewer domain: media, transform, strokes and the video clock."""

from __future__ import annotations

from typing import Any

import pytest

from covisor import commands as c
from covisor.errors import CovisorError
from covisor.events import Draft
from covisor.gallery import viewer_entry
from covisor.identity import Identity
from covisor.viewer import VideoClock, Viewer, ViewerLimits

AGENT = Identity("a1", "agent", "Ann")
SHOPPER = Identity("s1", "customer", "Sam", "c1")
LIMITS = ViewerLimits(max_strokes=3, max_points_per_stroke=5, max_stroke_points=4)
FACTS: dict[str, Any] = {"title": None, "width": 640, "height": 480}
VIDEO = viewer_entry("catalogue", "v", "video", kind="video", duration=60.0, **FACTS)
IMAGE = viewer_entry("catalogue", "i", "display_webp", kind="image", **FACTS)


def step(viewer: Viewer, actor: Identity, command: c.Command, now: float = 0.0) -> Draft:
    draft = viewer.decide(actor, command, now, LIMITS)
    viewer.apply(draft.type, draft.data)
    return draft


def show(viewer: Viewer, media: dict[str, Any]) -> None:
    draft = viewer.show(AGENT, media)
    viewer.apply(draft.type, draft.data)


def shown(media: dict[str, Any] = IMAGE) -> Viewer:
    viewer = Viewer()
    show(viewer, media)
    return viewer


BEGIN: dict[str, Any] = {
    "conversation_id": "c1",
    "stroke_id": "s0",
    "color": "#ff0000",
    "width": 0.01,
}


def begin(stroke_id: str) -> c.StrokeBegin:
    return c.StrokeBegin(**{**BEGIN, "stroke_id": stroke_id})


def test_video_clock_advances_with_rate_only_while_playing() -> None:
    clock = VideoClock(playing=True, position=10.0, rate=2.0, at=1000.0)
    assert clock.position_at(3000.0) == pytest.approx(14.0)
    assert VideoClock(False, 10.0, 2.0, 1000.0).position_at(3000.0) == 10.0


def test_pause_freezes_expected_position_at_server_time() -> None:
    viewer = shown(VIDEO)
    step(viewer, SHOPPER, c.VideoPlay(conversation_id="c1", position=5.0), now=1000.0)
    step(viewer, AGENT, c.VideoPause(conversation_id="c1"), now=4000.0)
    assert viewer.video == VideoClock(False, 8.0, 1.0, 4000.0)


def test_seek_is_clamped_to_duration() -> None:
    viewer = shown(VIDEO)
    step(viewer, AGENT, c.VideoSeek(conversation_id="c1", position=500.0))
    assert viewer.video.position == 60.0


def test_video_commands_need_a_video() -> None:
    with pytest.raises(CovisorError):
        shown(IMAGE).decide(AGENT, c.VideoPlay(conversation_id="c1"), 0, LIMITS)


def test_showing_new_media_resets_strokes_transform_and_video() -> None:
    viewer = shown(VIDEO)
    step(viewer, SHOPPER, begin("s1"))
    step(viewer, SHOPPER, c.ViewerTransform(conversation_id="c1", zoom=4, cx=0.1, cy=0.1))
    show(viewer, IMAGE)
    assert viewer.strokes == [] and viewer.transform.zoom == 1.0 and not viewer.video.playing


def test_stroke_limits_are_enforced() -> None:
    viewer = shown()
    for i in range(3):
        step(viewer, SHOPPER, begin(f"s{i}"))
    with pytest.raises(CovisorError, match="too many strokes"):
        viewer.decide(SHOPPER, begin("s3"), 0, LIMITS)
    step(
        viewer,
        SHOPPER,
        c.StrokePoints(conversation_id="c1", stroke_id="s2", points=[(0.1, 0.1)] * 4),
    )
    points = c.StrokePoints(conversation_id="c1", stroke_id="s2", points=[(0.1, 0.1)] * 2)
    with pytest.raises(CovisorError, match="too many points"):
        viewer.decide(SHOPPER, points, 0, LIMITS)


def test_one_event_carries_at_most_the_configured_points() -> None:
    viewer = shown()
    five = [(0.1, 0.1)] * 5
    with pytest.raises(CovisorError, match="at most 4 points"):
        viewer.decide(SHOPPER, c.StrokeBegin(**{**BEGIN, "points": five}), 0, LIMITS)
    step(viewer, SHOPPER, begin("s1"))
    with pytest.raises(CovisorError, match="at most 4 points"):
        viewer.decide(
            SHOPPER, c.StrokePoints(conversation_id="c1", stroke_id="s1", points=five), 0, LIMITS
        )


def test_points_after_end_are_refused() -> None:
    viewer = shown()
    step(viewer, SHOPPER, begin("s1"))
    step(viewer, SHOPPER, c.StrokeEnd(conversation_id="c1", stroke_id="s1"))
    with pytest.raises(CovisorError, match="has ended"):
        viewer.decide(SHOPPER, c.StrokeEnd(conversation_id="c1", stroke_id="s1"), 0, LIMITS)


def test_shopper_cannot_show_media() -> None:
    with pytest.raises(CovisorError) as refused:
        Viewer().show(SHOPPER, IMAGE)
    assert refused.value.code == "forbidden"
    by_id = c.ViewerShow(conversation_id="c1", media_id="i")
    with pytest.raises(CovisorError) as refused:
        Viewer().decide(SHOPPER, by_id, 0, LIMITS)
    assert refused.value.code == "forbidden"


def test_play_at_the_end_restarts_from_zero_for_everyone() -> None:
    viewer = shown(VIDEO)
    step(viewer, AGENT, c.VideoPlay(conversation_id="c1", position=50.0), now=0.0)
    ended = step(viewer, SHOPPER, c.VideoPlay(conversation_id="c1"), now=20_000.0)
    assert ended.data["position"] == 0.0 and ended.data["playing"] is True
    step(viewer, AGENT, c.VideoSeek(conversation_id="c1", position=60.0))
    again = step(viewer, AGENT, c.VideoPlay(conversation_id="c1", position=60.0))
    assert again.data["position"] == 0.0
    paused = step(viewer, AGENT, c.VideoPause(conversation_id="c1", position=59.99))
    assert paused.data["position"] == 59.99 and paused.data["playing"] is False
    middle = step(viewer, AGENT, c.VideoPlay(conversation_id="c1", position=30.0))
    assert middle.data["position"] == 30.0
