"""The shopper's widget with the agent-inbox features, in Chromium on a phone: the pre-chat
questions (the server runs with `COVISOR_PRECHAT=name_email`), `covisor.identify` with a signed
customer id, the place in the queue, transfers, internal notes the shopper never sees (and the
console shows as notes), and the rating card once the chat is closed. The agents act through the
REST API unless the console itself is under test.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, Playwright, expect

from tests.e2e.conftest import (
    ARTIFACTS,
    Contexts,
    CovisorServer,
    Snap,
    served,
)
from tests.e2e.polling import eventually
from tests.e2e.sides import DESKTOP, GREETING, PHONE, AgentConsole, ShopperWidget, Side

NOTE = "NOTE-7f3a: customer is a VIP, offer free returns"
"""An internal note: its text must never reach the shopper's page."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CovisorServer]:
    """A server that asks shoppers their name and e-mail before a chat; no demo data (nothing
    here shows the catalogue), so it starts at once. `demo_token` is an agent's ("Ops")."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    data_dir = tmp_path_factory.mktemp("covisor-inbox")
    env = {"COVISOR_PRECHAT": "name_email", "COVISOR_SEED_DEMO": "0"}
    with served(data_dir, ARTIFACTS / "server-inbox.log", env) as url:
        started = CovisorServer(url, data_dir, "", {})
        started.demo_token = started.add_agent("Ops")
        yield started


class Agent:
    """An agent played through the REST API."""

    def __init__(self, playwright: Playwright, server: CovisorServer, token: str) -> None:
        self.http = playwright.request.new_context(
            base_url=server.url, extra_http_headers={"Authorization": f"Bearer {token}"}
        )
        me = self.call("GET", "/api/me")
        self.id: str = me["id"]
        self.name: str = me["name"]

    def call(self, method: str, path: str, body: Any = None) -> Any:
        answer = self.http.fetch(path, method=method, data=body)
        assert answer.ok, f"{method} {path}: {answer.status} {answer.text()}"
        return answer.json() if answer.status != 204 else None

    def summary(self, conversation_id: str, status: str) -> dict[str, Any]:
        listed = self.call("GET", f"/api/conversations?status={status}")["conversations"]
        found = [c for c in listed if c["id"] == conversation_id]
        assert found, f"{conversation_id} is not {status}"
        result: dict[str, Any] = found[0]
        return result


@pytest.fixture(scope="module")
def team(playwright: Playwright, server: CovisorServer) -> Iterator[dict[str, Agent]]:
    agents = {
        name: Agent(playwright, server, token)
        for name, token in (("Alex", server.add_agent("Alex")), ("Bea", server.add_agent("Bea")))
    }
    yield agents
    for agent in agents.values():
        agent.http.dispose()


@pytest.fixture(scope="module")
def shop_secret(server: CovisorServer) -> str:
    return server.shop_secret()


def sign(secret: str, customer_id: str) -> str:
    """What the shop's backend computes (PROTOCOL.md "Who the shopper is")."""
    return hmac.new(secret.encode(), customer_id.encode(), hashlib.sha256).hexdigest()


def shopper_page(
    contexts: Contexts, sides: list[tuple[str, Side]], server: CovisorServer
) -> ShopperWidget:
    page = contexts.new("shopper", PHONE).new_page()
    shopper = ShopperWidget(page, server.url)
    sides.append(("shopper", shopper))
    return shopper


def open_shop(shopper: ShopperWidget, lang: str | None = None, *, launcher: bool = True) -> None:
    """The demo shop (in `lang`), and the chat opened with the launcher unless the page opens
    it itself."""
    query = f"?lang={lang}" if lang else ""
    shopper.page.goto(f"{shopper.origin}/demo{query}")
    if launcher:
        shopper.press(shopper.by("widget-launcher"))
    expect(shopper.by("widget-panel")).to_be_visible()


def queue_place(shopper: ShopperWidget) -> int | None:
    """The place the server gives this shopper (`GET …/queue` with the shopper's token)."""
    stored = json.loads(
        shopper.page.evaluate(
            "key => localStorage.getItem(key)", f"covisor:conversation:{shopper.origin}"
        )
    )
    answer = shopper.page.request.get(
        f"{shopper.origin}/api/conversations/{stored['id']}/queue",
        headers={"Authorization": f"Bearer {stored['token']}"},
    )
    assert answer.ok, answer.text()
    place: int | None = answer.json()["place"]
    return place


def widget_markup(page: Page) -> str:
    """Everything the widget put in the page: its shadow root's markup and the page's."""
    markup: str = page.evaluate(
        "() => document.body.outerHTML"
        " + document.getElementById('covisor-widget').shadowRoot.innerHTML"
    )
    return markup


def test_prechat_asks_name_and_email_once_then_shows_the_queue_place(
    server: CovisorServer,
    contexts: Contexts,
    sides: list[tuple[str, Side]],
    snap: Snap,
    team: dict[str, Agent],
) -> None:
    shopper = shopper_page(contexts, sides, server)
    open_shop(shopper)
    shopper.send_chat(GREETING)

    # Nothing is created before the shopper answers; the message waits in the composer.
    form = shopper.by("prechat-form")
    expect(form).to_be_visible()
    expect(shopper.by("prechat-name")).to_be_focused()
    expect(shopper.by("chat-input")).to_have_value(GREETING)
    expect(shopper.by("widget-panel")).to_have_attribute("data-status", "new")
    expect(shopper.page.get_by_label("Your name")).to_be_visible()
    expect(shopper.page.get_by_label("Your e-mail")).to_have_attribute("type", "email")

    shopper.press(shopper.by("prechat-submit"))
    expect(shopper.by("prechat-name")).to_have_attribute("aria-invalid", "true")
    expect(shopper.by("prechat-name-error")).to_have_text("Please enter your name.")
    expect(shopper.by("prechat-email-error")).to_have_text("Please enter your e-mail address.")
    expect(shopper.by("prechat-name")).to_be_focused()
    shopper.by("prechat-name").fill("Ann Shopper")
    expect(shopper.by("prechat-name")).not_to_have_attribute("aria-invalid", "true")
    shopper.by("prechat-email").fill("ann@example")
    shopper.press(shopper.by("prechat-submit"))
    expect(shopper.by("prechat-email-error")).to_have_text(
        "Please enter a valid e-mail address, like name@example.com."
    )
    expect(shopper.by("prechat-email")).to_be_focused()
    snap("prechat-errors")
    shopper.by("prechat-email").fill("ann@example.com")
    shopper.by("prechat-email").press("Enter")

    expect(form).to_be_hidden()
    expect(shopper.by("widget-panel")).to_have_attribute("data-status", "waiting")
    expect(shopper.message(GREETING)).to_have_count(1)
    conversation_id = shopper.conversation_id()
    summary = team["Alex"].summary(conversation_id, "waiting")
    assert summary["name"] == "Ann Shopper"
    assert summary["visitor"]["email"] == "ann@example.com"
    assert summary["visitor"]["verified"] is False

    place = queue_place(shopper)
    assert place is not None and place >= 1
    expect(shopper.by("queue-place")).to_have_text(f"You are number {place} in the queue")
    expect(shopper.by("queue-reply")).to_contain_text("We usually reply within")
    expect(shopper.by("welcome-reply")).to_be_hidden()
    snap("queue")

    # Taken by an agent: the queue line goes.
    team["Alex"].call("POST", f"/api/conversations/{conversation_id}/accept")
    expect(shopper.by("conversation-status")).to_have_text("You are chatting with Alex")
    expect(shopper.by("queue")).to_be_hidden()

    # The next chat is not asked again.
    team["Alex"].call("POST", f"/api/conversations/{conversation_id}/close")
    shopper.press(shopper.by("new-chat"))
    shopper.send_chat("One more question.")
    expect(shopper.by("widget-panel")).to_have_attribute("data-status", "waiting")
    expect(form).to_be_hidden()
    second = team["Alex"].summary(shopper.conversation_id(), "waiting")
    assert second["name"] == "Ann Shopper" and second["id"] != conversation_id


def test_identify_transfer_notes_and_rating_in_german(
    server: CovisorServer,
    contexts: Contexts,
    sides: list[tuple[str, Side]],
    snap: Snap,
    team: dict[str, Agent],
    shop_secret: str,
) -> None:
    alex, bea = team["Alex"], team["Bea"]
    shopper = shopper_page(contexts, sides, server)
    # The shop's page calls identify and open before the widget's script ran: the documented
    # stub queues them.
    claim = {"name": "Jana Kunde", "email": "jana@example.com", "customer_id": "cust-42"}
    stub = (
        "window.covisor = window.covisor || {q: [],"
        " identify: function () { this.q.push(['identify', arguments]); },"
        " open: function () { this.q.push(['open', arguments]); }};"
        f"covisor.identify({json.dumps(claim)}, {json.dumps(sign(shop_secret, 'cust-42'))});"
        "covisor.open();"
    )
    shopper.page.add_init_script(stub)
    open_shop(shopper, "de", launcher=False)
    expect(shopper.by("widget-launcher")).to_be_hidden()
    shopper.send_chat("Hallo, passt der Stiefel in Größe 39?")
    # identify gave name and e-mail: no pre-chat step.
    expect(shopper.by("widget-panel")).to_have_attribute("data-status", "waiting")
    expect(shopper.by("prechat-form")).to_be_hidden()
    conversation_id = shopper.conversation_id()
    visitor = alex.summary(conversation_id, "waiting")["visitor"]
    assert visitor["verified"] is True and visitor["customer_id"] == "cust-42", visitor
    place = queue_place(shopper)
    expect(shopper.by("queue-place")).to_have_text(f"Sie sind Nummer {place} in der Warteschlange")
    snap("queue")

    # identify once the chat is under way: sent at once (PUT …/visitor).
    shopper.page.evaluate(
        "([claim, signature]) => covisor.identify(claim, signature)",
        [{**claim, "name": "Jana Neu"}, sign(shop_secret, "cust-42")],
    )

    def renamed() -> None:
        assert alex.summary(conversation_id, "waiting")["visitor"]["name"] == "Jana Neu"

    eventually(renamed)

    alex.call("POST", f"/api/conversations/{conversation_id}/accept")
    expect(shopper.by("conversation-status")).to_have_text("Sie chatten mit Alex")
    expect(shopper.by("queue")).to_be_hidden()
    alex.call("POST", f"/api/conversations/{conversation_id}/notes", {"text": NOTE})
    alex.call(
        "POST", f"/api/conversations/{conversation_id}/transfer", {"to": bea.id, "note": NOTE}
    )
    expect(shopper.by("system-message").filter(has_text="Sie chatten jetzt mit Bea")).to_have_count(
        1
    )
    expect(shopper.by("conversation-status")).to_have_text("Sie chatten mit Bea")
    snap("transferred")

    bea.call("POST", f"/api/conversations/{conversation_id}/transfer", {"to": None})
    expect(
        shopper.by("system-message").filter(has_text="Warten auf den nächsten freien Mitarbeiter")
    ).to_have_count(1)
    expect(shopper.by("queue-place")).to_contain_text("in der Warteschlange")
    expect(shopper.by("widget-panel")).to_have_attribute("data-status", "waiting")

    bea.call("POST", f"/api/conversations/{conversation_id}/accept")
    expect(shopper.by("conversation-status")).to_have_text("Sie chatten mit Bea")
    bea.call("POST", f"/api/conversations/{conversation_id}/close")

    # Closed: the rating card, then the thanks.
    card = shopper.by("rating-card")
    expect(card).to_be_visible()
    expect(shopper.by("rating-thanks")).to_be_hidden()
    shopper.press(shopper.by("rating-send"))
    expect(shopper.by("rating-error")).to_have_text("Bitte wählen Sie 1 bis 5 Sterne.")
    shopper.press(shopper.page.locator("label[for='cv-rating-4']"))
    expect(shopper.by("rating-star-4")).to_be_checked()
    expect(shopper.by("rating-error")).to_be_hidden()
    shopper.page.get_by_label("Möchten Sie etwas ergänzen? (optional)").fill("Sehr hilfreich")
    snap("rating")
    shopper.press(shopper.by("rating-send"))
    expect(shopper.by("rating-thanks")).to_have_text("Vielen Dank für Ihr Feedback!")
    expect(shopper.by("rating-given")).to_have_attribute("aria-label", "4 von 5")
    expect(shopper.by("new-chat")).to_be_visible()
    rated = bea.summary(conversation_id, "closed")["rating"]
    assert rated == {"score": 4, "comment": "Sehr hilfreich"}, rated

    # Notes never reached the shopper's page, before or after a reload.
    assert NOTE not in widget_markup(shopper.page)
    shopper.page.reload()
    expect(shopper.by("rating-thanks")).to_have_text("Vielen Dank für Ihr Feedback!")
    expect(shopper.by("rating-star-4")).to_be_hidden()
    expect(shopper.by("system-message").filter(has_text="Sie chatten jetzt mit Bea")).to_have_count(
        0
    )
    assert NOTE not in widget_markup(shopper.page)
    snap("rated")


def test_the_console_shows_notes_and_transfers_the_widget_never_shows(
    server: CovisorServer,
    contexts: Contexts,
    sides: list[tuple[str, Side]],
    snap: Snap,
    team: dict[str, Agent],
) -> None:
    shopper = shopper_page(contexts, sides, server)
    open_shop(shopper)
    shopper.send_chat("Is the jacket waterproof?")
    # Cancelled: nothing is opened and the message stays, unsent, until the shopper goes on.
    shopper.press(shopper.by("prechat-cancel"))
    expect(shopper.by("prechat-form")).to_be_hidden()
    expect(shopper.by("chat-input")).to_have_value("Is the jacket waterproof?")
    expect(shopper.by("widget-panel")).to_have_attribute("data-status", "new")
    shopper.press(shopper.by("chat-send"))
    shopper.by("prechat-name").fill("Olek")
    shopper.by("prechat-email").fill("olek@example.com")
    shopper.press(shopper.by("prechat-submit"))
    expect(shopper.by("widget-panel")).to_have_attribute("data-status", "waiting")
    conversation_id = shopper.conversation_id()

    token = server.add_agent("Cleo")
    console = AgentConsole(contexts.new("agent", DESKTOP).new_page(), server.url, name="Cleo")
    console.log_in(token)
    sides.append(("agent", console))
    console.accept(conversation_id)
    http = console.page.request
    headers = {"Authorization": f"Bearer {token}"}
    answer = http.post(
        f"{server.url}/api/conversations/{conversation_id}/notes",
        data={"text": NOTE},
        headers=headers,
    )
    assert answer.status == 201, answer.text()
    note = console.by("note")
    expect(note).to_have_count(1)
    expect(note).to_contain_text("Internal note")
    expect(note).to_contain_text(NOTE)
    snap("note")
    answer = http.post(
        f"{server.url}/api/conversations/{conversation_id}/transfer",
        data={"to": team["Bea"].id},
        headers=headers,
    )
    assert answer.ok, answer.text()
    expect(
        shopper.by("system-message").filter(has_text="You are now chatting with Bea")
    ).to_have_count(1)
    assert NOTE not in widget_markup(shopper.page)
    expect(shopper.by("note")).to_have_count(0)
