"""The pure viewer domain: media, transform, strokes and the video clock."""

from __future__ import annotations

import pytest

from covisor import commands as c
from covisor.errors import CovisorError
from covisor.events import Draft
from covisor.identity import Identity
from covisor.viewer import VideoClock, Viewer, ViewerLimits

AGENT = Identity("a1", "agent", "Ann")
SHOPPER = Identity("s1", "customer", "Sam", "c1")
LIMITS = ViewerLimits(max_strokes=3, max_points_per_stroke=5)
VIDEO = c.Media(id="v", kind="video", src="/media/v.mp4", duration=60.0)
IMAGE = c.Media(id="i", kind="image", src="/media/i.jpg")


def step(viewer: Viewer, actor: Identity, command: c.Command, now: float = 0.0) -> Draft:
    draft = viewer.decide(actor, command, now, LIMITS)
    viewer.apply(draft.type, draft.data)
    return draft


def shown(media: c.Media = IMAGE) -> Viewer:
    viewer = Viewer()
    step(viewer, AGENT, c.ViewerShow(conversation_id="c1", media=media))
    return viewer


def begin(stroke_id: str) -> c.StrokeBegin:
    return c.StrokeBegin(conversation_id="c1", stroke_id=stroke_id, color="#ff0000", width=0.01)


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
    step(viewer, AGENT, c.ViewerShow(conversation_id="c1", media=IMAGE))
    assert viewer.strokes == [] and viewer.transform.zoom == 1.0 and not viewer.video.playing


def test_stroke_limits_are_enforced() -> None:
    viewer = shown()
    for i in range(3):
        step(viewer, SHOPPER, begin(f"s{i}"))
    with pytest.raises(CovisorError, match="too many strokes"):
        viewer.decide(SHOPPER, begin("s3"), 0, LIMITS)
    points = c.StrokePoints(conversation_id="c1", stroke_id="s2", points=[(0.1, 0.1)] * 6)
    with pytest.raises(CovisorError, match="too many points"):
        viewer.decide(SHOPPER, points, 0, LIMITS)


def test_points_after_end_are_refused() -> None:
    viewer = shown()
    step(viewer, SHOPPER, begin("s1"))
    step(viewer, SHOPPER, c.StrokeEnd(conversation_id="c1", stroke_id="s1"))
    with pytest.raises(CovisorError, match="has ended"):
        viewer.decide(SHOPPER, c.StrokeEnd(conversation_id="c1", stroke_id="s1"), 0, LIMITS)


def test_shopper_cannot_show_media() -> None:
    with pytest.raises(CovisorError) as refused:
        Viewer().decide(SHOPPER, c.ViewerShow(conversation_id="c1", media=IMAGE), 0, LIMITS)
    assert refused.value.code == "forbidden"
