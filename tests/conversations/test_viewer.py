"""The pure viewer domain: media, transform, strokes and the video clock."""

from __future__ import annotations

from typing import Any

import pytest

from covisor.conversations.gallery import viewer_entry
from covisor.conversations.viewer import Sketch, VideoClock, Viewer, ViewerLimits
from covisor.kernel import commands as c
from covisor.kernel.errors import CovisorError
from covisor.kernel.events import Draft
from covisor.kernel.identity import Identity

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


def begin(stroke_id: str, points: list[c.Point] | None = None) -> c.StrokeBegin:
    return c.StrokeBegin(**{**BEGIN, "stroke_id": stroke_id, "points": points or []})


def points(stroke_id: str, *xs: float, index: int | None = None) -> c.StrokePoints:
    return c.StrokePoints(
        conversation_id="c1", stroke_id=stroke_id, points=[(x, 0.5) for x in xs], index=index
    )


def draw(viewer: Viewer, sketch: Sketch, command: c.StrokePoints) -> int:
    """Add a batch to `sketch` as the journal does; return where it went."""
    drawn = sketch.setdefault(command.stroke_id, [])
    index, new = viewer.draw(SHOPPER, command, len(drawn), LIMITS)
    drawn += new
    return index


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
    four = c.StrokePoints(conversation_id="c1", stroke_id="s2", points=[(0.1, 0.1)] * 4)
    assert viewer.draw(SHOPPER, four, 0, LIMITS) == (0, four.points)
    two = c.StrokePoints(conversation_id="c1", stroke_id="s2", points=[(0.1, 0.1)] * 2)
    with pytest.raises(CovisorError, match="too many points"):
        viewer.draw(SHOPPER, two, 4, LIMITS)


def test_one_event_carries_at_most_the_configured_points() -> None:
    viewer = shown()
    five = [(0.1, 0.1)] * 5
    with pytest.raises(CovisorError, match="at most 4 points"):
        viewer.decide(SHOPPER, c.StrokeBegin(**{**BEGIN, "points": five}), 0, LIMITS)
    step(viewer, SHOPPER, begin("s1"))
    with pytest.raises(CovisorError, match="at most 4 points"):
        viewer.draw(
            SHOPPER, c.StrokePoints(conversation_id="c1", stroke_id="s1", points=five), 0, LIMITS
        )


def test_points_after_end_are_refused() -> None:
    viewer = shown()
    step(viewer, SHOPPER, begin("s1"))
    step(viewer, SHOPPER, c.StrokeEnd(conversation_id="c1", stroke_id="s1"))
    with pytest.raises(CovisorError, match="has ended"):
        viewer.decide(SHOPPER, c.StrokeEnd(conversation_id="c1", stroke_id="s1"), 0, LIMITS)


def test_points_go_to_a_sketch_and_stroke_end_carries_the_whole_line() -> None:
    viewer, sketch = shown(), Sketch()
    step(viewer, SHOPPER, begin("s1", [(0.0, 0.5)]))
    assert draw(viewer, sketch, points("s1", 0.1, 0.2)) == 1, "after the begin's one point"
    assert draw(viewer, sketch, points("s1", 0.3)) == 3
    assert viewer.strokes[0].points == [(0.0, 0.5)], "points are not applied to the state"
    open_ = viewer.snapshot(sketch)["strokes"][0]
    assert open_["points"] == [(x, 0.5) for x in (0.0, 0.1, 0.2, 0.3)] and not open_["done"]
    assert viewer.drawing()
    end = viewer.decide(
        SHOPPER, c.StrokeEnd(conversation_id="c1", stroke_id="s1"), 0, LIMITS, sketch
    )
    assert end.data["points"] == [(x, 0.5) for x in (0.0, 0.1, 0.2, 0.3)]
    viewer.apply(end.type, end.data)
    assert viewer.strokes[0].points == [(x, 0.5) for x in (0.0, 0.1, 0.2, 0.3)]
    assert viewer.strokes[0].done and not viewer.drawing()
    assert viewer.snapshot(sketch)["strokes"][0]["points"] == end.data["points"], (
        "a sketch left over is not added to an ended stroke"
    )


def test_a_batch_sent_again_adds_only_what_is_new_and_a_hole_is_refused() -> None:
    viewer, sketch = shown(), Sketch()
    step(viewer, SHOPPER, begin("s1", [(0.0, 0.5)]))
    draw(viewer, sketch, points("s1", 0.1, 0.2, index=1))
    assert draw(viewer, sketch, points("s1", 0.1, 0.2, 0.3, index=1)) == 3
    assert draw(viewer, sketch, points("s1", 0.2, index=2)) == 4, "all known: nothing added"
    assert sketch["s1"] == [(0.1, 0.5), (0.2, 0.5), (0.3, 0.5)]
    with pytest.raises(CovisorError) as refused:
        draw(viewer, sketch, points("s1", 0.5, index=5))
    assert refused.value.code == "conflict" and "4 points" in refused.value.message


def test_points_need_an_open_stroke_of_ones_own() -> None:
    viewer = shown()
    step(viewer, AGENT, begin("a1"))
    with pytest.raises(CovisorError) as refused:
        viewer.draw(SHOPPER, points("a1", 0.1), 0, LIMITS)
    assert refused.value.code == "forbidden"
    with pytest.raises(CovisorError, match="no stroke"):
        viewer.draw(SHOPPER, points("nope", 0.1), 0, LIMITS)


def test_a_stroke_end_of_an_older_log_keeps_the_points_applied() -> None:
    viewer = shown()
    step(viewer, SHOPPER, begin("s1", [(0.0, 0.5)]))
    viewer.apply("stroke.points", {"stroke_id": "s1", "points": [[0.1, 0.5]]})
    viewer.apply("stroke.end", {"stroke_id": "s1"})
    assert viewer.strokes[0].points == [(0.0, 0.5), (0.1, 0.5)] and viewer.strokes[0].done


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
