"""The shared viewer: what is shown, where it is zoomed, the strokes on it and the video clock.

Pure domain code: `Viewer.decide` checks a command against the current state and returns the
`Draft` of the event it causes (or raises `CovisorError`); `Viewer.apply` changes the state by an
event. Applying the same events in the same order always yields the same viewer, which is how a
restarted server, a second process and a late joiner all agree.

Stroke points are the exception, as they are most of what is sent: `Viewer.draw` checks a batch
for an open stroke and the points go into a `Sketch`, kept beside the state and not in it, until
the stroke's `stroke.end` carries them all into the order. So a stroke costs three events, not
one per batch, and a snapshot still shows the line as far as it is drawn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from covisor.kernel import commands as c
from covisor.kernel.errors import CovisorError
from covisor.kernel.events import Draft
from covisor.kernel.identity import Identity

END_SLACK = 0.05
"""Seconds before the end that count as the end (a frame at 20 fps)."""


@dataclass
class Transform:
    """Zoom factor and the normalised point of the media at the centre of the view."""

    zoom: float = 1.0
    cx: float = 0.5
    cy: float = 0.5
    w: float | None = None
    h: float | None = None


@dataclass
class Stroke:
    stroke_id: str
    actor_id: str
    color: str
    width: float
    points: list[tuple[float, float]] = field(default_factory=list)
    done: bool = False


@dataclass
class VideoClock:
    """Video playback as a function of server time: no ticking state to keep in step."""

    playing: bool = False
    position: float = 0.0
    rate: float = 1.0
    at: float = 0.0

    def position_at(self, now: float) -> float:
        if not self.playing:
            return self.position
        return self.position + max(0.0, now - self.at) / 1000.0 * self.rate


Sketch = dict[str, list[c.Point]]
"""The points drawn on a conversation's open strokes since they were last applied, by stroke id
(the journal keeps one per conversation, so a state reloaded from the store keeps them)."""

NO_SKETCH: Mapping[str, list[c.Point]] = {}


@dataclass(frozen=True)
class ViewerLimits:
    max_strokes: int
    max_points_per_stroke: int
    max_stroke_points: int
    """Points in one `stroke.begin` or `stroke.points` event."""


@dataclass
class Viewer:
    media: dict[str, Any] | None = None
    transform: Transform = field(default_factory=Transform)
    strokes: list[Stroke] = field(default_factory=list)
    video: VideoClock = field(default_factory=VideoClock)

    def decide(
        self,
        actor: Identity,
        command: c.Command,
        now: float,
        limits: ViewerLimits,
        sketch: Mapping[str, list[c.Point]] = NO_SKETCH,
    ) -> Draft:
        """`sketch`: the points drawn on open strokes and not yet applied; a `stroke.end`
        carries a stroke's whole line, those included."""
        match command:
            case c.ViewerShow() | c.ShowProduct():
                raise CovisorError("forbidden", "only an agent chooses what the viewer shows")
            case c.ViewerTransform(zoom=zoom, cx=cx, cy=cy, w=w, h=h):
                self._require_media()
                data: dict[str, Any] = {"zoom": zoom, "cx": cx, "cy": cy}
                if w is not None and h is not None:
                    data.update(w=w, h=h)
                return Draft("viewer.transform", data)
            case c.StrokeBegin():
                return self._decide_begin(actor, command, limits)
            case c.StrokeEnd(stroke_id=stroke_id):
                stroke = self._open_stroke(actor, stroke_id)
                line = [*stroke.points, *sketch.get(stroke_id, ())]
                return Draft("stroke.end", {"stroke_id": stroke_id, "points": line})
            case c.StrokeUndo():
                for stroke in reversed(self.strokes):
                    if stroke.actor_id == actor.id:
                        return Draft("stroke.undo", {"stroke_id": stroke.stroke_id})
                raise CovisorError("bad_request", "you have no stroke to undo")
            case c.StrokeClear():
                self._require_media()
                return Draft("stroke.clear", {})
            case c.VideoPlay(position=position) | c.VideoPause(position=position):
                clock = self._require_video()
                playing = isinstance(command, c.VideoPlay)
                start = clock.position_at(now) if position is None else position
                if playing and self._at_end(start):
                    start = 0.0
                return self._video(playing, start, clock.rate, now)
            case c.VideoSeek(position=position):
                clock = self._require_video()
                return self._video(clock.playing, position, clock.rate, now)
            case c.VideoRate(rate=rate):
                clock = self._require_video()
                return self._video(clock.playing, clock.position_at(now), rate, now)
        raise CovisorError("bad_request", f"{type(command).__name__} is not a viewer command")

    def draw(
        self, actor: Identity, command: c.StrokePoints, drawn: int, limits: ViewerLimits
    ) -> tuple[int, list[c.Point]]:
        """Check a batch of points for an open stroke of the actor's that has `drawn` points
        in a sketch beyond those applied; return where the new ones go and which they are
        (those at `command.index` it already has are left out). A batch that would leave a
        hole is refused with `conflict`: the client sends again from the stroke's end."""
        _check_batch(command.points, limits)
        stroke = self._open_stroke(actor, command.stroke_id)
        count = len(stroke.points) + drawn
        index = count if command.index is None else command.index
        if index > count:
            raise CovisorError(
                "conflict", f"the stroke has {count} points; send the points from there"
            )
        points = command.points[count - index :]
        if count + len(points) > limits.max_points_per_stroke:
            raise CovisorError("bad_request", "stroke has too many points; end it")
        return count, points

    def show(self, actor: Identity, media: dict[str, Any]) -> Draft:
        """Show `media`, a viewer entry already resolved to a file this conversation may show
        (gallery.viewer_entry); only agents choose what is shown, while any member may switch
        the variant or picture of the product on show."""
        if not actor.is_agent and not _same_product(self.media, media):
            raise CovisorError("forbidden", "only an agent chooses what the viewer shows")
        return Draft("viewer.show", {"media": media})

    def apply(self, type_: str, data: dict[str, Any]) -> None:
        if type_ == "viewer.show":
            self.media = data["media"]
            self.transform = Transform()
            self.strokes = []
            self.video = VideoClock()
        elif type_ == "viewer.transform":
            self.transform = Transform(
                data["zoom"], data["cx"], data["cy"], data.get("w"), data.get("h")
            )
        elif type_ == "stroke.begin":
            points = [(x, y) for x, y in data["points"]]
            self.strokes.append(
                Stroke(data["stroke_id"], data["actor_id"], data["color"], data["width"], points)
            )
        elif type_ == "stroke.points":  # in logs written before points were sketched
            stroke = self._find(data["stroke_id"])
            if stroke is not None:
                stroke.points.extend((x, y) for x, y in data["points"])
        elif type_ == "stroke.end":
            stroke = self._find(data["stroke_id"])
            if stroke is not None:
                if "points" in data:
                    stroke.points = [(x, y) for x, y in data["points"]]
                stroke.done = True
        elif type_ == "stroke.undo":
            self.strokes = [s for s in self.strokes if s.stroke_id != data["stroke_id"]]
        elif type_ == "stroke.clear":
            self.strokes = []
        elif type_ == "video.state":
            self.video = VideoClock(data["playing"], data["position"], data["rate"], data["at"])

    def is_open(self, stroke_id: str) -> bool:
        stroke = self._find(stroke_id)
        return stroke is not None and not stroke.done

    def drawing(self) -> bool:
        """Whether a stroke is open (begun and not ended)."""
        return any(not stroke.done for stroke in self.strokes)

    def snapshot(self, sketch: Mapping[str, list[c.Point]] = NO_SKETCH) -> dict[str, Any]:
        """The viewer for a joiner, open strokes drawn as far as `sketch` has them."""
        strokes = msgspec.to_builtins(self.strokes)
        for stroke in strokes:
            drawn = sketch.get(stroke["stroke_id"]) if not stroke["done"] else None
            if drawn:
                stroke["points"] = [*stroke["points"], *msgspec.to_builtins(drawn)]
        return {
            "media": self.media,
            "transform": {
                key: value
                for key, value in msgspec.to_builtins(self.transform).items()
                if value is not None
            },
            "strokes": strokes,
            "video": msgspec.to_builtins(self.video),
        }

    def _decide_begin(self, actor: Identity, command: c.StrokeBegin, limits: ViewerLimits) -> Draft:
        _check_batch(command.points, limits)
        self._require_media()
        if self._find(command.stroke_id) is not None:
            raise CovisorError("bad_request", f"stroke {command.stroke_id!r} already exists")
        if len(self.strokes) >= limits.max_strokes:
            raise CovisorError("bad_request", "too many strokes on this media; clear some first")
        return Draft(
            "stroke.begin",
            {
                "stroke_id": command.stroke_id,
                "actor_id": actor.id,
                "color": command.color,
                "width": command.width,
                "points": command.points,
            },
        )

    def _open_stroke(self, actor: Identity, stroke_id: str) -> Stroke:
        stroke = self._find(stroke_id)
        if stroke is None:
            raise CovisorError("bad_request", f"no stroke {stroke_id!r}")
        if stroke.actor_id != actor.id:
            raise CovisorError("forbidden", "that stroke is someone else's")
        if stroke.done:
            raise CovisorError("bad_request", f"stroke {stroke_id!r} has ended")
        return stroke

    def _find(self, stroke_id: str) -> Stroke | None:
        for stroke in reversed(self.strokes):
            if stroke.stroke_id == stroke_id:
                return stroke
        return None

    def _require_media(self) -> dict[str, Any]:
        if self.media is None:
            raise CovisorError("bad_request", "nothing is shown in the viewer")
        return self.media

    def _require_video(self) -> VideoClock:
        if self._require_media().get("kind") != "video":
            raise CovisorError("bad_request", "the viewer is not showing a video")
        return self.video

    def _at_end(self, position: float) -> bool:
        """Ended is a state: a video at (or within a frame of) its end plays again from 0."""
        duration = (self.media or {}).get("duration")
        return duration is not None and position >= float(duration) - END_SLACK

    def _video(self, playing: bool, position: float, rate: float, now: float) -> Draft:
        duration = (self.media or {}).get("duration")
        if duration is not None:
            position = min(position, float(duration))
        return Draft(
            "video.state", {"playing": playing, "position": position, "rate": rate, "at": now}
        )


def _check_batch(points: list[c.Point], limits: ViewerLimits) -> None:
    if len(points) > limits.max_stroke_points:
        raise CovisorError(
            "bad_request", f"at most {limits.max_stroke_points} points in one stroke event"
        )


def _same_product(shown: dict[str, Any] | None, media: dict[str, Any]) -> bool:
    product = media.get("product")
    on_show = None if shown is None else shown.get("product")
    return product is not None and on_show is not None and product["id"] == on_show["id"]
