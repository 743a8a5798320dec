"""The Reports panel after a transfer, in real Chromium against `covisor serve`: Ann accepts a
phone shopper's chat and answers, hands it over to Bea, who answers, closes it and gets 4 stars;
a shopper opens a PIN call. The admin's Reports panel credits each agent for their part (Bea
appears, with the closing and the rating), says how, and names the PIN call a phone call, in
English and in German. Screenshots go to tests/artifacts/e2e/.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import socketio
from playwright.sync_api import APIRequestContext, Playwright, expect

from tests.e2e.conftest import ARTIFACTS, Contexts, CovisorServer
from tests.e2e.sides import DESKTOP, PHONE, AgentConsole
from tests.e2e.test_reports import rows

DEMO_ADMIN = "Demo Agent"


def say(url: str, token: str, conversation_id: str, text: str) -> None:
    """A chat message over Socket.IO, as a console sends it."""
    client = socketio.Client(reconnection=False)
    client.connect(url, auth={"token": token}, transports=["polling"])
    try:
        for event, data in (
            ("join", {"conversation_id": conversation_id}),
            ("chat.send", {"conversation_id": conversation_id, "text": text}),
        ):
            answer = client.call(event, data, timeout=10)
            assert answer.get("ok", True) is not False, answer
    finally:
        client.disconnect()


@pytest.fixture(scope="module")
def handed_over(playwright: Playwright, server: CovisorServer) -> Iterator[None]:
    """Ann's conversation handed over to Bea, closed by Bea and rated 4; a PIN call."""
    ann, bea = server.add_agent("Ann"), server.add_agent("Bea")
    http: APIRequestContext = playwright.request.new_context(base_url=server.url)

    def post(path: str, token: str | None, body: object = None) -> dict[str, object]:
        headers = {"User-Agent": PHONE["user_agent"]}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        answer = http.post(path, data=body if body is not None else {}, headers=headers)
        assert answer.ok, (path, answer.status, answer.text())
        found: dict[str, object] = answer.json()
        return found

    try:
        bea_id = http.get("/api/me", headers={"Authorization": f"Bearer {bea}"}).json()["id"]
        opened = post("/api/conversations", None, {"name": "Zoe"})
        cid, shopper = str(opened["id"]), str(opened["token"])
        post(f"/api/conversations/{cid}/accept", ann)
        say(server.url, ann, cid, "Bea knows the sizes, one moment")
        post(f"/api/conversations/{cid}/transfer", ann, {"to": bea_id})
        say(server.url, bea, cid, "Hi, Bea here")
        say(server.url, bea, cid, "Take the 42")
        post(f"/api/conversations/{cid}/close", bea)
        post(f"/api/conversations/{cid}/rating", shopper, {"score": 4})
        post("/api/conversations", None, {"by_phone": True})
        yield
    finally:
        http.dispose()


@pytest.mark.parametrize(
    ("locale", "credit", "call", "closed_col"),
    [
        ("en-US", "How agents are credited", "Phone call", "Closed"),
        ("de-DE", "So wird Agenten zugerechnet", "Telefonanruf", "Geschlossen"),
    ],
)
def test_each_agent_is_credited_for_their_part(
    handed_over: None,
    server: CovisorServer,
    contexts: Contexts,
    locale: str,
    credit: str,
    call: str,
    closed_col: str,
) -> None:
    page = contexts.new("admin", {**DESKTOP, "locale": locale}).new_page()
    admin = AgentConsole(page, server.url, DEMO_ADMIN)
    admin.log_in(server.demo_token)
    admin.by("open-reports").click()
    agents = admin.by("reports-agents")
    expect(agents).to_be_visible()
    headers = agents.locator("thead th").all_text_contents()
    assert closed_col in headers, headers
    by_name = {row[0]: row for row in rows(agents)}
    # name, conversations, messages, closed, first reply, rating average
    assert by_name["Ann"][1:4] == ["1", "1", "0"] and by_name["Ann"][5] == "–"
    assert by_name["Bea"][1:4] == ["1", "2", "1"] and by_name["Bea"][5] == "4"
    expect(admin.by("reports-credit-rule")).to_contain_text(credit)
    devices = {row[0]: row[1] for row in rows(admin.by("reports-devices"))}
    assert devices.get(call) == "1", devices
    assert "Unknown" not in devices and "Unbekannt" not in devices
    agents.scroll_into_view_if_needed()
    page.screenshot(path=ARTIFACTS / f"reports-credit-{locale}-desktop.png")
