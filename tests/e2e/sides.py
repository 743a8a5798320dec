"""The two sides of a conversation as a test drives and reads them: the agent console and the
shopper's widget on the demo shop. Both embed the same viewer and chat (same test ids), so what
is read off the screen (messages, the shown media's geometry, canvas pixels, the video clock)
is measured the same way on both, in image-normalised coordinates where it concerns the viewer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from playwright.sync_api import Locator, Page, WebSocket, expect

DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}, "locale": "en-US"}
"""The agent's browser context options (English whatever the machine's locale: tests read the
English texts)."""
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/130.0 Mobile Safari/537.36"
    ),
    "locale": "en-US",
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
"""A shopper's phone (the size of an iPhone 12-15): touch input, three device pixels per CSS
pixel, so the canvas is checked at the resolution phones draw it."""

GREETING = "Hi, I have a question about my order."
"""The shopper's first message: writing it is what creates the conversation."""
UPLOAD = "[upload]"
"""How `Side.timeline` reads an upload card."""

_SOCKET_IO_EVENT = re.compile(r"^42(?P<ack>\d*)(?P<body>\[.*\])$", re.DOTALL)
"""An Engine.IO message (4) carrying a Socket.IO EVENT (2) on the default namespace, with an
optional ack id: `421["viewer.show",{...}]`."""
_SOCKET_IO_ACK_ID = re.compile(r"^4[23](?P<id>\d+)\[")
"""The ack id of an EVENT (2) that asks for one, or of the ACK (3) answering it."""

# Where the shown media sits in its stage, and which image point is at the stage's centre.
_GEOMETRY_JS = """
stage => {
  const media = stage.querySelector("img:not([hidden]), video:not([hidden])");
  const s = stage.getBoundingClientRect();
  const m = media.getBoundingClientRect();
  const natural = media.tagName === "IMG"
    ? [media.naturalWidth, media.naturalHeight] : [media.videoWidth, media.videoHeight];
  const fit = Math.min(s.width / natural[0], s.height / natural[1]) * natural[0];
  return {
    zoom: Number(stage.dataset.zoom),
    scale: m.width / fit,
    centre: [(s.left + s.width / 2 - m.left) / m.width, (s.top + s.height / 2 - m.top) / m.height],
    stage: [s.left, s.top, s.width, s.height],
    media: [m.left, m.top, m.width, m.height],
  };
}
"""

# Every canvas pixel of the stroke colour, as image-normalised coordinates: how many, their
# centroid and bounding box. Shadows and anti-aliased edges are not "of the colour".
_FOOTPRINT_JS = """
(stage, color) => {
  const canvas = stage.querySelector("canvas");
  const media = stage.querySelector("img:not([hidden]), video:not([hidden])");
  const c = canvas.getBoundingClientRect();
  const m = media.getBoundingClientRect();
  const ratio = canvas.width / c.width;
  const want = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let count = 0, su = 0, sv = 0;
  let box = [Infinity, Infinity, -Infinity, -Infinity];
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] < 220) continue;
    if (Math.max(...want.map((w, k) => Math.abs(data[i + k] - w))) > 40) continue;
    const p = i / 4;
    const x = (p % canvas.width + 0.5) / ratio + c.left;
    const y = (Math.floor(p / canvas.width) + 0.5) / ratio + c.top;
    const u = (x - m.left) / m.width, v = (y - m.top) / m.height;
    count += 1; su += u; sv += v;
    box = [Math.min(box[0], u), Math.min(box[1], v), Math.max(box[2], u), Math.max(box[3], v)];
  }
  return { count, centroid: count ? [su / count, sv / count] : null, box: count ? box : null,
           ratio, pixels: canvas.width * canvas.height };
}
"""

# Opaque canvas pixels within `radius` CSS px of each image-normalised point, and how many of
# them are of the stroke colour.
_PIXELS_NEAR_JS = """
(stage, [points, color, radius]) => {
  const canvas = stage.querySelector("canvas");
  const media = stage.querySelector("img:not([hidden]), video:not([hidden])");
  const c = canvas.getBoundingClientRect();
  const m = media.getBoundingClientRect();
  const ratio = canvas.width / c.width;
  const want = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
  const context = canvas.getContext("2d");
  const r = Math.ceil(radius * ratio);
  return points.map(([u, v]) => {
    const x = Math.round((m.left + u * m.width - c.left) * ratio);
    const y = Math.round((m.top + v * m.height - c.top) * ratio);
    const data = context.getImageData(x - r, y - r, 2 * r + 1, 2 * r + 1).data;
    let opaque = 0, matching = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] < 220) continue;
      opaque += 1;
      if (Math.max(...want.map((w, k) => Math.abs(data[i + k] - w))) <= 40) matching += 1;
    }
    return { opaque, matching };
  });
}
"""

_VIDEO_JS = """
video => ({
  time: video.currentTime, paused: video.paused, ended: video.ended,
  rate: video.playbackRate, ready: video.readyState, duration: video.duration,
  src: video.currentSrc, now: Date.now(),
})
"""


@dataclass(frozen=True)
class Frame:
    """One WebSocket text frame as the page sent or received it."""

    direction: Literal["sent", "received"]
    text: str
    socket: int
    """Which of the page's WebSockets, counted from 0 in the order they opened (a reload or a
    reconnect opens another; ack ids are counted per socket)."""

    @property
    def event(self) -> str | None:
        """The Socket.IO event's name, for an EVENT packet (`42…`)."""
        found = _SOCKET_IO_EVENT.match(self.text)
        return str(json.loads(found["body"])[0]) if found else None

    @property
    def payload(self) -> Any:
        """The Socket.IO event's first argument, for an EVENT packet."""
        found = _SOCKET_IO_EVENT.match(self.text)
        args = json.loads(found["body"])[1:] if found else []
        return args[0] if args else None

    @property
    def ack_id(self) -> int | None:
        """The ack id an EVENT packet asks for (`421[…]`) or an ACK packet answers (`431[…]`)."""
        found = _SOCKET_IO_ACK_ID.match(self.text)
        return int(found["id"]) if found else None

    @property
    def payload_of_ack(self) -> Any:
        """The first argument of an ACK packet (`431[{"ok":true}]` → `{"ok": True}`)."""
        found = _SOCKET_IO_ACK_ID.match(self.text)
        args = json.loads(self.text[found.end() - 1 :]) if found else []
        return args[0] if args else None

    @property
    def is_ack(self) -> bool:
        """An Engine.IO message (4) carrying a Socket.IO ACK (3): `431[{"ok":true}]`."""
        return self.text.startswith("43")


@dataclass(frozen=True)
class VideoSample:
    """A player's clock read at wall time `now` (ms; both sides run on the same machine)."""

    time: float
    paused: bool
    ended: bool
    rate: float
    ready: int
    duration: float
    src: str
    now: float

    def at(self, now: float) -> float:
        """Where this player is at wall time `now`, if it kept going as it was."""
        return self.time + (0.0 if self.paused else (now - self.now) / 1000 * self.rate)


class Side:
    """One person's tab on the server at `origin`. `press` is how this person presses a button
    (a tap on a phone)."""

    def __init__(self, page: Page, origin: str) -> None:
        self.page = page
        self.origin = origin
        self._frames: list[Frame] = []
        self._sockets = 0
        page.on("websocket", self._watch_socket)

    def _watch_socket(self, socket: WebSocket) -> None:
        number = self._sockets
        self._sockets += 1

        def record(direction: Literal["sent", "received"]) -> Callable[[str | bytes], None]:
            def append(frame: str | bytes) -> None:
                if isinstance(frame, str):
                    self._frames.append(Frame(direction, frame, number))

            return append

        socket.on("framesent", record("sent"))
        socket.on("framereceived", record("received"))

    def frames(self) -> list[Frame]:
        """The text frames this tab's WebSockets sent and received, in the order they went."""
        return list(self._frames)

    def acks(self, event: str) -> list[tuple[Any, Any]]:
        """Each `event` this tab sent asking for an ack, with the ack's first argument (None
        while unanswered or where the socket closed first), in the order they were sent."""
        answers = {
            (frame.socket, frame.ack_id): frame.payload_of_ack
            for frame in self._frames
            if frame.direction == "received" and frame.is_ack
        }
        return [
            (frame.payload, answers.get((frame.socket, frame.ack_id)))
            for frame in self._frames
            if frame.direction == "sent" and frame.event == event and frame.ack_id is not None
        ]

    def sent(self, event: str) -> list[Any]:
        """Payloads of the Socket.IO `event`s this tab has sent over its WebSocket, in order."""
        return [
            frame.payload
            for frame in self._frames
            if frame.direction == "sent" and frame.event == event
        ]

    def by(self, test_id: str) -> Locator:
        return self.page.get_by_test_id(test_id)

    def press(self, target: Locator) -> None:
        target.click()

    def send_chat(self, text: str) -> None:
        self.by("chat-input").fill(text)
        self.press(self.by("chat-send"))

    def message(self, text: str) -> Locator:
        """The confirmed message with exactly this text."""
        return self.by("message").filter(
            has=self.page.locator(".cv-bubble", has_text=re.compile(f"^{re.escape(text)}$"))
        )

    def messages(self) -> list[tuple[int, str]]:
        """Confirmed chat messages on screen, top to bottom: (seq, text)."""
        return [
            (int(seq), text)
            for seq, text in self.by("message").evaluate_all(
                "items => items.map((li) => [li.dataset.seq, "
                "li.querySelector('.cv-bubble').textContent])"
            )
        ]

    def timeline(self) -> list[str]:
        """The chat list top to bottom as read on screen: confirmed messages' texts, system
        notices ("Alex joined the chat") and `UPLOAD` for each upload card."""
        shown: list[str] = self.by("message-list").evaluate(
            """(list, upload) => [...list.querySelectorAll(
                 "[data-testid=message], [data-testid=system-message], [data-testid=upload-card]"
               )].map((item) => ({
                 "message": () => item.querySelector(".cv-bubble").textContent,
                 "system-message": () => item.textContent,
                 "upload-card": () => upload,
               })[item.dataset.testid]())""",
            UPLOAD,
        )
        return shown

    @property
    def stage(self) -> Locator:
        return self.by("viewer-stage")

    def wait_image_loaded(self, src_part: str) -> dict[str, Any]:
        """Wait until the viewer shows a loaded image whose URL contains `src_part`."""
        image = self.by("viewer-image")
        expect(image).to_be_visible()
        expect(image).to_have_attribute("src", re.compile(re.escape(src_part)))
        image.evaluate("img => img.decode()")
        loaded: dict[str, Any] = image.evaluate(
            "img => ({src: img.currentSrc, width: img.naturalWidth, height: img.naturalHeight})"
        )
        return loaded

    def geometry(self) -> dict[str, Any]:
        result: dict[str, Any] = self.stage.evaluate(_GEOMETRY_JS)
        return result

    def visible_region(self) -> dict[str, float]:
        """The part of the shown media inside the stage, image-normalised: `{cx, cy, w, h}` as
        `viewer.view` carries it."""
        geometry = self.geometry()
        sl, st, sw, sh = geometry["stage"]
        ml, mt, mw, mh = geometry["media"]

        def axis(start: float, size: float, low: float, extent: float) -> tuple[float, float]:
            first = min(1.0, max(0.0, (low - start) / size))
            last = min(1.0, max(0.0, (low + extent - start) / size))
            return (first + last) / 2, last - first

        cx, w = axis(ml, mw, sl, sw)
        cy, h = axis(mt, mh, st, sh)
        return {"cx": cx, "cy": cy, "w": w, "h": h}

    def viewport_point(self, u: float, v: float) -> tuple[float, float]:
        """Viewport px of the image-normalised point (u, v) as currently shown."""
        left, top, width, height = self.geometry()["media"]
        return left + u * width, top + v * height

    def stroke_footprint(self, color: str) -> dict[str, Any]:
        result: dict[str, Any] = self.stage.evaluate(_FOOTPRINT_JS, color)
        return result

    def pixels_near(
        self, points: list[tuple[float, float]], color: str, radius: float = 3.0
    ) -> list[dict[str, int]]:
        result: list[dict[str, int]] = self.stage.evaluate(_PIXELS_NEAR_JS, [points, color, radius])
        return result

    def video(self) -> VideoSample:
        return VideoSample(**self.by("viewer-video").evaluate(_VIDEO_JS))


class AgentConsole(Side):
    """The agent console at /agent on a desktop."""

    def __init__(self, page: Page, origin: str, name: str) -> None:
        super().__init__(page, origin)
        self.name = name

    def log_in(self, token: str) -> None:
        """Open /agent and log in through the form with an agent's token."""
        self.page.goto(f"{self.origin}/agent")
        self.by("agent-use-token").click()
        self.by("agent-token-input").fill(token)
        self.by("agent-login").click()
        expect(self.by("agent-name")).to_have_text(self.name)
        expect(self.by("connection-state")).to_have_attribute("data-online", "true")

    def accept(self, conversation_id: str) -> None:
        item = self.page.locator(
            f'[data-testid="queue-item"][data-conversation-id="{conversation_id}"]'
        )
        self.press(item.get_by_test_id("queue-accept"))
        self.expect_selected(conversation_id)

    def expect_selected(self, conversation_id: str) -> None:
        selected = self.page.locator(
            f'[data-testid="active-conversation"][data-conversation-id="{conversation_id}"]'
        )
        expect(selected).to_have_attribute("aria-current", "true")

    def show_catalogue_item(self, item_id: str) -> None:
        self.press(self.page.locator(f'[data-testid="catalogue-item"][data-item-id="{item_id}"]'))


class ShopperWidget(Side):
    """The chat widget on the demo shop, on a phone (`touch`) or a desktop."""

    def __init__(self, page: Page, origin: str, *, touch: bool = True) -> None:
        super().__init__(page, origin)
        self.touch = touch

    def press(self, target: Locator) -> None:
        if self.touch:
            target.tap()
        else:
            target.click()

    def open_widget(self) -> None:
        """Open the demo shop and the chat panel, ready to write. No conversation exists yet:
        the first message, upload or shown PIN creates it."""
        self.page.goto(f"{self.origin}/demo")
        self.press(self.by("widget-launcher"))
        expect(self.by("widget-panel")).to_be_visible()
        expect(self.by("chat-input")).to_be_enabled()

    def start_chat(self, text: str) -> None:
        """Write the first message: the conversation starts, waiting for an agent."""
        self.send_chat(text)
        expect(self.by("widget-panel")).to_have_attribute("data-status", "waiting")
        expect(self.message(text)).to_have_count(1)

    def conversation_id(self) -> str:
        stored: str = self.page.evaluate(
            "key => JSON.parse(localStorage.getItem(key)).id",
            f"covisor:conversation:{self.origin}",
        )
        return stored

    def touch_drag(self, points: list[tuple[float, float]]) -> None:
        """One finger down at the first viewport point, through the others, lifted at the last:
        real touch input (pointerType "touch"), as on a phone."""
        self.touches([[point] for point in points])

    def touches(self, frames: list[list[tuple[float, float]]]) -> None:
        """A touch gesture: each frame gives every finger's viewport position; the first frame
        puts the fingers down, the last lifts them."""
        cdp = self.page.context.new_cdp_session(self.page)
        try:
            for index, frame in enumerate(frames):
                kind = "touchStart" if index == 0 else "touchMove"
                fingers = [{"x": x, "y": y, "id": i} for i, (x, y) in enumerate(frame)]
                cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": fingers})
            cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        finally:
            cdp.detach()


class Finger:
    """One finger on a phone's screen, put down at viewport point `at` and held: it moves and
    lifts when the test says, so the test can act in the middle of a gesture (`touches` does a
    whole gesture at once). Real touch input, as `touches` sends it."""

    def __init__(self, widget: ShopperWidget, at: tuple[float, float]) -> None:
        self._cdp = widget.page.context.new_cdp_session(widget.page)
        self._touch("touchStart", [at])

    def _touch(self, kind: str, points: list[tuple[float, float]]) -> None:
        fingers = [{"x": x, "y": y, "id": 0} for x, y in points]
        self._cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": fingers})

    def move(self, points: list[tuple[float, float]]) -> None:
        """Slide through each viewport point in turn."""
        for point in points:
            self._touch("touchMove", [point])

    def lift(self) -> None:
        self._touch("touchEnd", [])
        self._cdp.detach()
