"""How long until the agent sees a shopper's 12 MP photo, on a slow phone uplink? The original
upload next to the photo made smaller in the browser (client/photo-resize.js).

    python bench/photo_upload.py [--profiles 2800:150,750:150] [--repeat 1]

Starts `python -m covisor serve --port 0` on loopback with a fresh data directory and an agent,
and drives a shopper in headless Chromium (/usr/bin/chromium) on a phone-sized page of the demo
shop: the shopper writes a first message, the agent accepts through the REST API and joins over
Socket.IO (python-socketio), then the shopper's uplink is throttled with the DevTools protocol
(`Network.emulateNetworkConditions`: upload kbit/s and latency per `--profiles`, download
1.6 Mbit/s) and a 12 MP camera-like JPEG (bench/media.py's `write_photos`, 3.6 MB with EXIF) is
chosen in the widget's file input. The time runs from choosing the file until the agent's socket
receives `media.ready` for it: the browser's preparation, the upload, the server's processing
and the push. Each run is a new conversation in a new browser context; the two ways alternate.

- original:   "Original" ticked in the widget: the file goes as it is (what every upload did
              before photos were made smaller);
- downscaled: the default: long side at most 2560 px, JPEG quality 0.85, upright, no metadata.

Prints per profile the seconds for each way (min and median over `--repeat`), the bytes that
went up, the share of the time spent preparing the photo in the browser, and the ratio.
Numbers go in docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import socketio
from covisor_server import Server
from playwright.sync_api import Browser, Page, Playwright, Request, expect, sync_playwright

from media import write_photos

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "locale": "en-US",
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
DOWNLOAD_KBPS = 1600
WAIT_S = 600.0


@dataclass(frozen=True)
class Profile:
    upload_kbps: int
    latency_ms: int

    def __str__(self) -> str:
        return f"{self.upload_kbps / 1000:g} Mbit/s up, {self.latency_ms} ms"


@dataclass
class Run:
    way: str
    seconds: float
    sent_bytes: int
    prepare_seconds: float


class AgentSocket:
    """The agent's Socket.IO connection to one conversation, on an event loop of its own thread
    (Playwright's sync API owns the main thread); notes when `media.ready` arrives."""

    def __init__(self, server: Server, conversation_id: str) -> None:
        self.ready_at: float | None = None
        self.media_id: str | None = None
        self.ready = threading.Event()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.client = socketio.AsyncClient(reconnection=False)
        self.client.on("event", self._on_event)
        self._do(
            self.client.connect(
                server.url, auth={"token": server.agent_token}, transports=["websocket"]
            )
        )
        self._do(self.client.call("join", {"conversation_id": conversation_id}, timeout=30))

    def _do(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(60)

    async def _on_event(self, event: dict[str, Any]) -> None:
        if event.get("type") == "media.ready" and not self.ready.is_set():
            self.ready_at = time.time()
            self.media_id = event["data"]["media"]["id"]
            self.ready.set()

    def close(self) -> None:
        self._do(self.client.disconnect())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def open_conversation(playwright: Playwright, browser: Browser, server: Server) -> tuple[Page, str]:
    """A shopper on the demo shop who wrote a first message; the agent accepted it."""
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{server.url}/demo")
    page.get_by_test_id("widget-launcher").tap()
    page.get_by_test_id("chat-input").fill("Hi, here is a photo of the damage.")
    page.get_by_test_id("chat-send").tap()
    expect(page.get_by_test_id("widget-panel")).to_have_attribute("data-status", "waiting")
    conversation_id: str = page.evaluate(
        "key => JSON.parse(localStorage.getItem(key)).id", f"covisor:conversation:{server.url}"
    )
    api = playwright.request.new_context(
        base_url=server.url, extra_http_headers={"Authorization": f"Bearer {server.agent_token}"}
    )
    answer = api.post(f"/api/conversations/{conversation_id}/accept")
    assert answer.ok, answer.text()
    api.dispose()
    expect(page.get_by_test_id("widget-panel")).to_have_attribute("data-status", "active")
    return page, conversation_id


def stored_original(
    playwright: Playwright, server: Server, conversation_id: str, media_id: str
) -> bytes:
    """The bytes the server received (an agent may download an upload's original)."""
    api = playwright.request.new_context(
        base_url=server.url, extra_http_headers={"Authorization": f"Bearer {server.agent_token}"}
    )
    try:
        item = api.get(f"/api/conversations/{conversation_id}/media/{media_id}").json()
        answer = api.get(item["variants"]["original"]["url"])
        assert answer.ok, answer.status
        return answer.body()
    finally:
        api.dispose()


def throttle(page: Page, profile: Profile) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": profile.latency_ms,
            "downloadThroughput": DOWNLOAD_KBPS * 1000 / 8,
            "uploadThroughput": profile.upload_kbps * 1000 / 8,
        },
    )


def one_run(
    playwright: Playwright,
    browser: Browser,
    server: Server,
    photo: Path,
    way: str,
    profile: Profile,
) -> Run:
    page, conversation_id = open_conversation(playwright, browser, server)
    agent = AgentSocket(server, conversation_id)
    uploads: list[Request] = []
    page.on(
        "requestfinished",
        lambda request: uploads.append(request) if "/media?upload_id=" in request.url else None,
    )
    try:
        if way == "original":
            page.get_by_test_id("upload-original-toggle").tap()
            expect(page.get_by_test_id("upload-original")).to_be_checked()
        throttle(page, profile)
        start = time.time()
        page.get_by_test_id("upload-input").set_input_files(photo)
        deadline = time.monotonic() + WAIT_S
        while not agent.ready.is_set():  # waiting in Playwright lets its events through
            if time.monotonic() > deadline:
                raise TimeoutError(f"{way}: no media.ready within {WAIT_S} s")
            page.wait_for_timeout(20)
        assert agent.ready_at is not None
        page.wait_for_timeout(200)
        assert len(uploads) == 1, f"{way}: {len(uploads)} upload requests"
        started = uploads[0].timing["startTime"] / 1000
        assert agent.media_id is not None
        return Run(
            way,
            agent.ready_at - start,
            len(stored_original(playwright, server, conversation_id, agent.media_id)),
            max(0.0, started - start),
        )
    finally:
        agent.close()
        page.context.close()


def parse_profiles(text: str) -> list[Profile]:
    profiles = []
    for part in text.split(","):
        kbps, _, latency = part.partition(":")
        profiles.append(Profile(int(kbps), int(latency or 150)))
    return profiles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--profiles",
        default="2800:150,750:150",
        help="uplinks as kbit/s:latency ms, comma-separated (default 2800:150,750:150)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs of each way per profile")
    args = parser.parse_args()
    profiles = parse_profiles(args.profiles)

    with tempfile.TemporaryDirectory(prefix="covisor-bench-photo-") as scratch:
        root = Path(scratch)
        photo = write_photos(root, 2)[1]  # EXIF orientation 6, as a phone held upright writes
        photo_bytes = photo.stat().st_size
        (root / "data").mkdir()
        server = Server(root / "data")
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True
                )
                # Warm-up: the worker pool starts, Chromium's caches fill.
                one_run(playwright, browser, server, photo, "downscaled", Profile(100_000, 0))
                results: dict[Profile, dict[str, list[Run]]] = {}
                for profile in profiles:
                    runs: dict[str, list[Run]] = {"original": [], "downscaled": []}
                    for _ in range(args.repeat):
                        for way in ("original", "downscaled"):
                            run = one_run(playwright, browser, server, photo, way, profile)
                            runs[way].append(run)
                            print(
                                f"  {profile}: {way} {run.seconds:.2f} s "
                                f"({run.sent_bytes / 1e6:.2f} MB sent)",
                                file=sys.stderr,
                            )
                    results[profile] = runs
                browser.close()
        finally:
            server.close()
    report(photo_bytes, results)


def report(photo_bytes: int, results: dict[Profile, dict[str, list[Run]]]) -> None:
    print(
        f"12 MP camera JPEG (4000 x 3000, {photo_bytes / 1e6:.2f} MB, EXIF orientation 6): "
        "from choosing it on a throttled phone to the agent's socket getting media.ready"
    )
    print(
        "| uplink | way | bytes sent | seconds min / median | of which preparing | "
        "ratio (original / downscaled, median) |"
    )
    print("|---|---|---:|---:|---:|---:|")
    for profile, runs in results.items():
        medians = {way: statistics.median(r.seconds for r in rs) for way, rs in runs.items()}
        for way, rs in runs.items():
            seconds = [r.seconds for r in rs]
            ratio = (
                f"{medians['original'] / medians['downscaled']:.1f}x" if way == "downscaled" else ""
            )
            print(
                f"| {profile} | {way} | {statistics.median(r.sent_bytes for r in rs) / 1e6:.2f} MB "
                f"| {min(seconds):.2f} / {medians[way]:.2f} s "
                f"| {statistics.median(r.prepare_seconds for r in rs):.2f} s | {ratio} |"
            )


if __name__ == "__main__":
    main()
