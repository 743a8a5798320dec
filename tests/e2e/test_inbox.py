"""The agent's inbox in real Chromium: two agents and a shopper on a phone. A new chat rings and
notifies, agent A hands it to agent B with a note, B answers with a saved reply that puts a
product in the viewer, and the shopper rates the chat. Then a console with a dozen
conversations, on a desktop and on a phone, for the eye."""

from __future__ import annotations

import hashlib
import hmac
from functools import partial
from typing import Any

from playwright.sync_api import APIRequestContext, Page, expect

from tests.e2e.conftest import Contexts, CovisorServer, Snap
from tests.e2e.polling import eventually
from tests.e2e.sides import DESKTOP, PHONE, AgentConsole, ShopperWidget, Side

ALERT_STUBS = """
window.__rings = 0;
window.__notifications = [];
window.__hidden = false;
window.AudioContext = class {
  constructor() { this.state = "running"; this.currentTime = 0; this.destination = {}; }
  createOscillator() {
    return { type: "", frequency: { value: 0 }, connect() {}, stop() {},
             start() { window.__rings += 0.5; } };
  }
  createGain() {
    return { gain: { setValueAtTime() {}, exponentialRampToValueAtTime() {} }, connect() {} };
  }
  resume() {}
};
window.Notification = class {
  static permission = "granted";
  static requestPermission() { return Promise.resolve("granted"); }
  constructor(title, options) {
    window.__notifications.push({ title, body: options.body, tag: options.tag });
  }
  close() {}
};
Object.defineProperty(Document.prototype, "visibilityState", {
  get() { return window.__hidden ? "hidden" : "visible"; },
});
Object.defineProperty(Document.prototype, "hidden", { get() { return window.__hidden; } });
"""
"""The browser's sound and notifications, recorded: a ring plays two oscillators."""

PHONE_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
TABLET_UA = "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"
DESKTOP_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"
)


def console(contexts: Contexts, server: CovisorServer, name: str, label: str) -> AgentConsole:
    token = server.add_agent(name)
    context = contexts.new(label, DESKTOP)
    context.add_init_script(ALERT_STUBS)
    agent = AgentConsole(context.new_page(), server.url, name=name)
    agent.log_in(token)
    agent.token = token  # type: ignore[attr-defined]
    return agent


def recorded(page: Page) -> dict[str, Any]:
    found: dict[str, Any] = page.evaluate(
        "() => ({rings: window.__rings, notifications: window.__notifications})"
    )
    return found


def rang_since(agent: AgentConsole, rings: float) -> None:
    assert recorded(agent.page)["rings"] > rings, f"{agent.name}'s console rang"


def notifications(agent: AgentConsole, at_least: int = 1) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = recorded(agent.page)["notifications"]
    assert len(found) >= at_least, found
    return found


def test_a_chat_rings_is_transferred_answered_with_a_saved_reply_and_rated(
    server: CovisorServer,
    contexts: Contexts,
    api: APIRequestContext,
    sides: list[tuple[str, Side]],
    snap: Snap,
) -> None:
    alex = console(contexts, server, "Alex", "alex")
    bea = console(contexts, server, "Bea", "bea")
    sides += [("alex", alex), ("bea", bea)]
    product = api.get("/api/catalogue").json()["items"][0]
    reply = api.post(
        "/api/replies",
        headers={"Authorization": f"Bearer {bea.token}"},  # type: ignore[attr-defined]
        data={
            "shortcut": "size",
            "text": "Hi {name}, I am {agent}: here is the size guide.",
            "catalogue_id": product["id"],
        },
    )
    assert reply.status == 201, reply.text()
    bea.page.reload()
    expect(bea.by("connection-state")).to_have_attribute("data-online", "true")
    bea.page.evaluate("() => { window.__hidden = true; }")
    before = {side: recorded(side.page)["rings"] for side in (alex, bea)}

    shopper = ShopperWidget(contexts.new("shopper", PHONE).new_page(), server.url)
    sides.append(("shopper", shopper))
    shopper.open_widget()
    shopper.start_chat("Do these boots run small?")
    cid = shopper.conversation_id()
    for agent in (alex, bea):
        eventually(partial(rang_since, agent, before[agent]))
    new_chat = eventually(partial(notifications, bea))
    assert new_chat[0]["title"] == "New chat", "Bea's console is hidden: she is notified"
    assert recorded(alex.page)["notifications"] == [], "Alex is looking: no notification"
    queued = alex.page.locator(f'[data-testid="queue-item"][data-conversation-id="{cid}"]')
    expect(queued.get_by_test_id("last-message")).to_have_text("Do these boots run small?")
    expect(queued.get_by_test_id("visitor-device")).to_have_text("Phone")
    snap("queued")

    alex.accept(cid)
    alex.send_chat("Let me ask my colleague who knows boots.")
    alex.by("conversation-transfer").click()
    dialog = alex.by("transfer-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_text("Bea", exact=True).click()
    alex.by("transfer-note").fill("Asks about boot sizes; offer the size guide")
    snap("transfer-dialog")
    alex.by("transfer-submit").click()
    expect(dialog).to_be_hidden()
    mine = alex.page.locator(f'[data-testid="active-conversation"][data-conversation-id="{cid}"]')
    expect(mine).to_have_count(0)
    expect(alex.by("console-notice")).to_contain_text("Transferred to Bea")

    given = bea.page.locator(f'[data-testid="active-conversation"][data-conversation-id="{cid}"]')
    expect(given).to_have_count(1)
    eventually(partial(notifications, bea, 2))
    bea.page.evaluate("() => { window.__hidden = false; }")
    given.click()
    bea.expect_selected(cid)
    expect(bea.page.get_by_text("Asks about boot sizes; offer the size guide")).to_be_visible()
    expect(shopper.page.get_by_text("Bea", exact=False).first).to_be_visible()
    assert "Asks about boot sizes" not in shopper.page.content(), "notes never reach shoppers"

    bea.by("chat-input").fill("/si")
    picker = bea.by("reply-picker")
    expect(picker).to_be_visible()
    snap("saved-reply")
    bea.by("chat-input").press("Enter")
    expected = "Hi Shopper, I am Bea: here is the size guide."
    expected_alt = "Hi there, I am Bea: here is the size guide."
    value = bea.by("chat-input").input_value()
    assert value in (expected, expected_alt), value
    bea.by("chat-input").press("Enter")
    expect(shopper.message(value)).to_have_count(1)
    expect(shopper.by("viewer")).to_have_attribute("data-kind", product["kind"])

    bea.by("conversation-close").click()
    bea.by("conversation-close").click()
    rating = shopper.page.get_by_test_id("rating-card")
    expect(rating).to_be_visible()
    shopper.press(shopper.page.locator("label[for='cv-rating-5']"))
    shopper.page.get_by_test_id("rating-comment").fill("Quick and kind")
    shopper.press(shopper.page.get_by_test_id("rating-send"))
    expect(shopper.page.get_by_test_id("rating-thanks")).to_be_visible()
    expect(bea.by("conversation-rating")).to_contain_text("5/5")
    snap("rated")


def test_a_console_with_a_dozen_conversations(
    server: CovisorServer,
    contexts: Contexts,
    api: APIRequestContext,
    sides: list[tuple[str, Side]],
    snap: Snap,
) -> None:
    secret = server.shop_secret()
    token = server.add_agent("Dana")
    auth = {"Authorization": f"Bearer {token}"}
    people = [
        ("Ana García", "es-ES", PHONE_UA, "ana@example.es", True),
        ("Jan Kowalski", "pl-PL", DESKTOP_UA, "jan@example.pl", False),
        ("Lena Vogel", "de-DE", TABLET_UA, None, False),
        ("Chloé Martin", "fr-FR", PHONE_UA, "chloe@example.fr", True),
        ("", "en-GB", PHONE_UA, None, False),
        ("Marta Nowak", "pl-PL", PHONE_UA, "marta@example.pl", True),
        ("Lucas Bernard", "fr-FR", DESKTOP_UA, None, False),
        ("Sofía López", "es-MX", PHONE_UA, None, False),
        ("Jonas Becker", "de-AT", DESKTOP_UA, "jonas@example.at", True),
        ("", "es-ES", TABLET_UA, None, False),
        ("Emma Wilson", "en-US", PHONE_UA, "emma@example.com", False),
        ("Piotr Zieliński", "pl-PL", PHONE_UA, None, False),
    ]
    words = [
        "Is the blue one in stock in size 38?",
        "My parcel arrived damaged, what do I do?",
        "Can I pay on delivery?",
        "Do you ship to Austria?",
    ]
    opened = []
    for index, (name, locale, agent_string, email, signed) in enumerate(people):
        customer = f"cus-{index}"
        visitor: dict[str, Any] = {"name": name or None, "email": email}
        if signed:
            visitor["customer_id"] = customer
            visitor["signature"] = hmac.new(
                secret.encode(), customer.encode(), hashlib.sha256
            ).hexdigest()
        answer = api.post(
            "/api/conversations",
            headers={"Authorization": "", "User-Agent": agent_string},
            data={
                "page": {"url": f"https://shop.example/p/{index}", "title": "Trail boots"},
                "locale": locale,
                "visitor": visitor,
            },
        )
        assert answer.status == 201, answer.text()
        opened.append(answer.json())
    for conversation in opened[:7]:  # past Dana's capacity (3): said so
        path = f"/api/conversations/{conversation['id']}/accept"
        accepted = api.post(path, headers=auth, data={"override": True})
        assert accepted.ok, accepted.text()
    shopper_sessions = [
        (conversation, words[index % len(words)]) for index, conversation in enumerate(opened)
    ]
    page = contexts.new("dana", DESKTOP).new_page()
    dana = AgentConsole(page, server.url, name="Dana")
    dana.log_in(token)
    sides.append(("desktop", dana))
    for conversation, text in shopper_sessions:
        dana.page.evaluate(
            """async ([url, token, cid, text]) => {
                const { io } = await import("/client/vendor/socket.io.esm.min.js");
                const socket = io(url, { auth: { token }, transports: ["websocket"] });
                await new Promise((done) => socket.on("connect", done));
                await socket.emitWithAck("join", { conversation_id: cid });
                await socket.emitWithAck("chat.send", { conversation_id: cid, text });
                socket.close();
            }""",
            [server.url, conversation["token"], conversation["id"], text],
        )
    expect(dana.by("active-conversation")).to_have_count(7)
    expect(dana.by("queue-item")).to_have_count(5, timeout=15000)
    expect(dana.by("visitor-verified").first).to_be_visible()
    dana.by("active-conversation").first.click()
    snap("desktop")
    phone = contexts.new("dana-phone", PHONE).new_page()
    on_phone = AgentConsole(phone, server.url, name="Dana")
    on_phone.log_in(token)
    sides[:] = [("phone", on_phone)]
    expect(on_phone.by("active-conversation")).to_have_count(7)
    snap("phone")
    on_phone.press(on_phone.by("active-conversation").first)
    expect(on_phone.by("chat-input")).to_be_visible()
    snap("phone-chat")
    on_phone.press(on_phone.by("tab-viewer"))
    expect(on_phone.by("conversation-transfer")).to_be_visible()
    expect(on_phone.by("conversation-visitor")).to_be_visible()
    snap("phone-viewer")
    on_phone.press(on_phone.by("tab-list"))
    on_phone.press(on_phone.by("open-replies"))
    expect(on_phone.by("replies-dialog")).to_be_visible()
    snap("phone-replies")
