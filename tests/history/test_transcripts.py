"""Transcripts: the JSON timeline, the printable HTML page and who sees internal notes."""

from __future__ import annotations

from typing import Any

import aiohttp

from covisor.history.transcripts import POLICY
from tests.conftest import Harness
from tests.media import samples


async def html_of(h: Harness, cid: str, token: str) -> aiohttp.ClientResponse:
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{h.url}/api/conversations/{cid}/transcript.html"
    async with h.http.get(url, headers=headers) as response:
        await response.read()
        return response


async def full_conversation(h: Harness) -> tuple[str, Any, Any]:
    """A conversation with a message each way, a note, an upload, an annotated product, a PIN
    join, a transfer back and forth, closing and a rating."""
    opened = await h.open_conversation(locale="de-DE", name="Jonas")
    cid = opened["id"]
    agent_token = await h.agent_token("Marta")
    await h.accepted(cid, agent_token)
    customer = await h.peer(opened["token"])
    agent = await h.peer(agent_token)
    await customer.ok("join", {"conversation_id": cid})
    await agent.ok("join", {"conversation_id": cid})
    await customer.ok("chat.send", {"conversation_id": cid, "text": "Passt <b>das</b>?"})
    await agent.ok("chat.send", {"conversation_id": cid, "text": "Ja, sicher."})
    notes = f"/api/conversations/{cid}/notes"
    assert (await h.request("POST", notes, agent_token, json={"text": "Stammkunde"}))[0] == 201
    form = aiohttp.FormData()
    form.add_field("file", samples.alpha_png(), filename="photo.png")
    status, _ = await h.request(
        "POST", f"/api/conversations/{cid}/media", customer.token, data=form
    )
    assert status == 201
    product = await h.product()
    await agent.ok("viewer.show", {"conversation_id": cid, "media_id": product})
    stroke = {"conversation_id": cid, "stroke_id": "s1", "color": "#ff0000", "width": 0.01}
    await agent.ok("stroke.begin", {**stroke, "points": [[0.1, 0.1], [0.2, 0.2]]})
    await agent.ok("stroke.end", {"conversation_id": cid, "stroke_id": "s1"})
    status, pin = await h.request("POST", f"/api/conversations/{cid}/pins", agent_token)
    assert status == 201, pin
    status, redeemed = await h.request("POST", "/api/pins/redeem", json={"pin": pin["pin"]})
    assert status == 200, redeemed
    other = await h.agent_token("Piotr")
    path = f"/api/conversations/{cid}/transfer"
    assert (await h.request("POST", path, agent_token, json={"to": None}))[0] == 200
    await h.accepted(cid, other)
    assert (await h.request("POST", f"/api/conversations/{cid}/close", other))[0] == 200
    rating = {"score": 5, "comment": "Super"}
    rated = await h.request("POST", f"/api/conversations/{cid}/rating", customer.token, json=rating)
    assert rated[0] == 201
    return cid, customer, other


async def test_the_json_timeline_keeps_messages_and_hides_notes_from_shoppers(
    harness: Harness,
) -> None:
    cid, customer, agent_token = await full_conversation(harness)
    path = f"/api/conversations/{cid}/transcript"
    status, mine = await harness.request("GET", path, customer.token)
    assert status == 200
    assert [m["data"]["text"] for m in mine["messages"]] == ["Passt <b>das</b>?", "Ja, sicher."]
    kinds = [entry["type"] for entry in mine["timeline"]]
    assert kinds == [
        "opened",
        "accepted",
        "message",
        "message",
        "upload",
        "shown",
        "joined",
        "transferred",
        "accepted",
        "closed",
        "rated",
    ]
    shown = next(e for e in mine["timeline"] if e["type"] == "shown")
    assert shown["strokes"] == 1 and shown["thumb"].startswith("/api/catalogue/")
    upload = next(e for e in mine["timeline"] if e["type"] == "upload")
    assert "sig=" in upload["thumb"]
    status, theirs = await harness.request("GET", path, agent_token)
    assert status == 200
    assert [e["text"] for e in theirs["timeline"] if e["type"] == "note"] == ["Stammkunde"]


async def test_the_html_page_is_printable_scriptless_and_localised(harness: Harness) -> None:
    cid, customer, agent_token = await full_conversation(harness)
    page = await html_of(harness, cid, customer.token)
    assert page.status == 200 and page.content_type == "text/html"
    assert page.headers["Content-Security-Policy"] == POLICY
    assert "default-src 'none'" in POLICY and "script" not in POLICY
    text = await fetch_text(harness, cid, customer.token)
    assert "<script" not in text.lower() and "http://" not in text and "https://" not in text
    assert '<html lang="de">' in text and "@media print" in text
    assert "Passt &lt;b&gt;das&lt;/b&gt;?" in text  # escaped, never markup
    for words in (
        "Marta ist der Unterhaltung beigetreten",
        "Jonas hat ein Foto gesendet",
        "hat Test image gezeigt (Markierungen: 1)",
        "mit einer Telefon-PIN beigetreten",
        "Zurück in der Warteschlange",
        "Unterhaltung beendet",
        "Mit 5 von 5 bewertet: “Super”",
    ):
        assert words in text, words
    assert "Stammkunde" not in text and "Interne Notiz" not in text
    assert text.count("<img") == 2
    agents_copy = await fetch_text(harness, cid, agent_token)
    assert "Stammkunde" in agents_copy and "Interne Notiz" in agents_copy


async def test_the_page_needs_a_member(harness: Harness) -> None:
    cid, _, _ = await harness.session()
    stranger = await harness.open_conversation()
    page = await html_of(harness, cid, stranger["token"])
    assert page.status == 403
    anonymous = await harness.http.get(f"{harness.url}/api/conversations/{cid}/transcript.html")
    assert anonymous.status == 401
    anonymous.release()


async def fetch_text(h: Harness, cid: str, token: str) -> str:
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{h.url}/api/conversations/{cid}/transcript.html"
    async with h.http.get(url, headers=headers) as response:
        assert response.status == 200
        return await response.text()


async def test_the_page_is_in_the_readers_zone_and_names_it(harness: Harness) -> None:
    """Issue 24, 9: `?tz=` the reader's zone, else the shop's; either is named."""
    opened = await harness.open_conversation(locale="pl-PL")
    cid, token = opened["id"], opened["token"]
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{harness.url}/api/conversations/{cid}/transcript.html"
    async with harness.http.get(url, headers=headers, params={"tz": "Asia/Tokyo"}) as r:
        assert "Godziny w strefie Asia/Tokyo (UTC+09:00)" in await r.text()
    async with harness.http.get(url, headers=headers) as r:
        assert "Godziny w strefie " in await r.text(), "the shop's zone, named"
    async with harness.http.get(url, headers=headers, params={"tz": "Mars/Olympus"}) as r:
        assert r.status == 400
