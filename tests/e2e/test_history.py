"""The console's history in real Chromium: past conversations another agent had and closed are
found (by message text, name, e-mail, rating, agent), opened read-only with their messages,
notes, media and viewer item, printed and downloaded as a transcript, reopened after a reload,
and reached from a customer's earlier conversations; on a desktop in English and on a phone in
Spanish."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import APIRequestContext, Browser, FilePayload, expect

from tests.e2e.conftest import Contexts, CovisorServer, Snap
from tests.e2e.media_files import photo_jpeg
from tests.e2e.sides import DESKTOP, PHONE, AgentConsole, Side

SOCKET_STEPS = """async ([url, steps]) => {
  const { io } = await import("/client/vendor/socket.io.esm.min.js");
  for (const [token, cid, event, payload] of steps) {
    const socket = io(url, { auth: { token }, transports: ["websocket"] });
    await new Promise((done) => socket.on("connect", done));
    const joined = await socket.emitWithAck("join", { conversation_id: cid });
    const ack = await socket.emitWithAck(event, { conversation_id: cid, ...payload });
    socket.close();
    if (!joined.ok || !ack.ok) throw new Error(JSON.stringify([event, joined, ack]));
  }
}"""
"""Each step `[token, conversation, event, payload]` sent by a socket of its own, joined first."""

ASKED = "¿Tenéis las botas en la talla 38?"
ANSWERED = "Sí, en marrón y en negro."
NOTE = "Wants them before Friday"
LATER = "¿Y el envío a Canarias?"
PARCEL = "Where is my parcel?"


@dataclass(frozen=True)
class Past:
    """Closed conversations Kim had: Ana's two (the same verified customer), Jan's one."""

    kim_id: str
    boots: str
    shipping: str
    parcel: str


@pytest.fixture(scope="module")
def past(server: CovisorServer, browser: Browser, api: APIRequestContext) -> Iterator[Past]:
    kim = server.add_agent("Kim")
    as_kim = {"Authorization": f"Bearer {kim}"}
    kim_id = api.get("/api/me", headers=as_kim).json()["id"]
    secret = server.shop_secret()
    signature = hmac.new(secret.encode(), b"cus-ana", hashlib.sha256).hexdigest()
    ana = {"name": "Ana García", "email": "ana@example.es", "customer_id": "cus-ana"}
    catalogue_item = api.get("/api/catalogue").json()["items"][0]["id"]
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{server.url}/agent")

    def closed(visitor: dict[str, Any], said: list[tuple[str, str]], *, shown: bool) -> str:
        opened = api.post(
            "/api/conversations",
            headers={"Authorization": ""},
            data={"locale": "es-ES", "visitor": visitor},
        ).json()
        cid: str = opened["id"]
        shopper: str = opened["token"]
        assert api.post(f"/api/conversations/{cid}/accept", headers=as_kim, data={}).ok
        tokens = {"shopper": shopper, "kim": kim}
        steps = [[tokens[who], cid, "chat.send", {"text": text}] for who, text in said]
        if shown:
            steps.append([kim, cid, "viewer.show", {"media_id": catalogue_item}])
        page.evaluate(SOCKET_STEPS, [server.url, steps])
        if shown:
            photo: FilePayload = {
                "name": "boot.jpg",
                "mimeType": "image/jpeg",
                "buffer": photo_jpeg((640, 480)),
            }
            uploaded = api.post(
                f"/api/conversations/{cid}/media?upload_id=u1",
                headers={"Authorization": f"Bearer {shopper}"},
                multipart={"file": photo},
            )
            assert uploaded.ok, uploaded.text()
            note = api.post(f"/api/conversations/{cid}/notes", headers=as_kim, data={"text": NOTE})
            assert note.ok, note.text()
        assert api.post(f"/api/conversations/{cid}/close", headers=as_kim).ok
        if shown:
            rated = api.post(
                f"/api/conversations/{cid}/rating",
                headers={"Authorization": f"Bearer {shopper}"},
                data={"score": 5},
            )
            assert rated.ok, rated.text()
        return cid

    signed = {**ana, "signature": signature}
    boots = closed(signed, [("shopper", ASKED), ("kim", ANSWERED)], shown=True)
    parcel = closed({"name": "Jan Kowalski"}, [("shopper", PARCEL)], shown=False)
    shipping = closed(signed, [("shopper", LATER)], shown=False)
    context.close()
    yield Past(kim_id, boots, shipping, parcel)


def console(
    server: CovisorServer, contexts: Contexts, options: dict[str, Any], name: str
) -> AgentConsole:
    page = contexts.new(name, options).new_page()
    agent = AgentConsole(page, server.url, name=name)
    agent.log_in(server.add_agent(name))
    return agent


def expect_read_only(agent: AgentConsole, name: str, marker: str, said: str) -> None:
    expect(agent.by("conversation-title")).to_contain_text(name)
    expect(agent.by("conversation-presence")).to_have_text(marker)
    expect(agent.message(said)).to_have_count(1)
    expect(agent.by("chat-input")).to_be_disabled()
    expect(agent.by("conversation-close")).to_be_disabled()


def test_history_on_a_desktop(
    past: Past, server: CovisorServer, contexts: Contexts, sides: list[tuple[str, Side]], snap: Snap
) -> None:
    alex = console(server, contexts, DESKTOP, "Alex")
    sides.append(("desktop", alex))
    alex.by("open-history").click()
    items = alex.by("history-item")
    expect(items).to_have_count(3)
    alex.by("history-q").fill("talla 38")
    alex.by("history-search").click()
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("Ana García")
    expect(items.first).to_contain_text("ana@example.es")
    expect(items.first).to_contain_text("★★★★★")
    alex.by("history-q").fill("")
    alex.by("history-rating").select_option("5")
    alex.by("history-agent").select_option(past.kim_id)
    alex.by("history-search").click()
    expect(items).to_have_count(1)
    alex.by("history-rating").select_option("")
    alex.by("history-q").fill("KOWALSKI")
    alex.by("history-search").click()
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("Jan Kowalski")
    alex.by("history-q").fill("ana@example.es")
    alex.by("history-search").click()
    expect(items).to_have_count(2)
    snap("search")

    items.filter(has_text="★★★★★").get_by_test_id("history-open").click()
    expect(alex.by("history-dialog")).to_be_hidden()
    expect_read_only(alex, "Ana García", "Closed · read only", ASKED)
    expect(alex.message(ANSWERED)).to_have_count(1)
    expect(alex.by("note")).to_contain_text(NOTE)
    expect(alex.by("conversation-rating")).to_contain_text("5/5")
    expect(alex.by("uploads-list").locator("img")).to_have_count(1)
    expect(alex.by("viewer-image")).to_be_visible()
    expect(alex.page.locator(".cv-tools")).to_have_class(re.compile(r"\bcv-disabled\b"))
    expect(alex.by("conversation-note")).to_be_disabled()
    snap("read-only")

    alex.by("conversation-transcript").click()
    frame = alex.page.frame_locator('[data-testid="transcript-frame"]')
    expect(frame.locator("body")).to_contain_text(ASKED)
    expect(frame.locator("body")).to_contain_text(NOTE)
    alex.page.evaluate(
        """() => {
            const frame = document.querySelector('[data-testid="transcript-frame"]');
            frame.contentWindow.print = () => { window.__printed = true; };
        }"""
    )
    alex.by("transcript-print").click()
    assert alex.page.evaluate("() => window.__printed === true"), "Print prints the transcript"
    with alex.page.expect_download() as download:
        alex.by("transcript-download").click()
    assert download.value.suggested_filename == f"transcript-{past.boots}.html"
    saved = download.value.path().read_text()
    assert ASKED in saved and NOTE in saved and "Content-Security-Policy" in saved
    snap("transcript")
    alex.by("transcript-close").click()

    alex.page.reload()
    expect_read_only(alex, "Ana García", "Closed · read only", ASKED)
    alex.expect_selected(past.boots)


def test_history_on_a_phone_in_spanish(
    past: Past,
    server: CovisorServer,
    api: APIRequestContext,
    contexts: Contexts,
    sides: list[tuple[str, Side]],
    snap: Snap,
) -> None:
    lucia = console(server, contexts, {**PHONE, "locale": "es-ES"}, "Lucía")
    sides.append(("phone", lucia))
    lucia.by("open-history").tap()
    lucia.by("history-q").fill("ana@example.es")
    lucia.by("history-search").tap()
    items = lucia.by("history-item")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("con Kim")
    width = lucia.page.evaluate("() => document.documentElement.clientWidth")
    box = lucia.by("history-dialog").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, "on screen"
    snap("search")
    items.first.get_by_test_id("history-open").tap()
    expect_read_only(lucia, "Ana García", "Cerrada · solo lectura", LATER)
    snap("read-only")

    lucia.by("tab-media").tap()
    earlier = lucia.by("earlier-item")
    expect(earlier).to_have_count(1)
    earlier.get_by_role("button").tap()
    lucia.by("tab-chat").tap()
    expect_read_only(lucia, "Ana García", "Cerrada · solo lectura", ASKED)
    lucia.expect_selected(past.boots)
    expect(lucia.page.locator(f'[data-conversation-id="{past.shipping}"]')).to_have_count(0)

    lucia.page.reload()
    lucia.by("tab-chat").tap()
    expect_read_only(lucia, "Ana García", "Cerrada · solo lectura", ASKED)
    lucia.by("conversation-transcript").tap()
    frame = lucia.page.frame_locator('[data-testid="transcript-frame"]')
    expect(frame.locator("body")).to_contain_text(ANSWERED)
    snap("transcript")

    for index in range(24):  # 27 closed in all: a page of 25, then More
        opened = api.post(
            "/api/conversations",
            headers={"Authorization": ""},
            data={"visitor": {"name": f"Cliente {index}"}},
        ).json()
        path = f"/api/conversations/{opened['id']}"
        assert api.post(f"{path}/accept", data={"override": True}).ok
        assert api.post(f"{path}/close").ok
    lucia.by("transcript-close").tap()
    lucia.by("tab-list").tap()
    lucia.by("open-history").tap()
    expect(items).to_have_count(25)
    lucia.by("history-more").tap()
    expect(items).to_have_count(27)
    expect(lucia.by("history-more")).to_be_hidden()
