"""The shopper's widget on its own terms: nothing typed is lost on a reload, the conversation is
kept per shop in localStorage with a renewed token, replies show on the closed launcher, the
welcome card, keyboard use and the demo's language switch (issue 11: 1, 3, 7, 10, 13)."""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.sync_api import Page, Route, expect

from .conftest import ARTIFACTS, WAIT_MS
from .network import Unreachable
from .sides import PHONE, AgentConsole, ShopperWidget, Side

Pair = tuple[AgentConsole, ShopperWidget]


AVATAR = "/client/icons/icon-192.png"
"""A picture the server serves (the console's app icon, 192 × 192 px)."""
CHAT_RATE_PER_S = 5
CHAT_BURST = 10
"""The server's chat rate limit per connection, which the client paces itself under
(`chat_rate` in `GET /api/config`; `DEFAULT_LIMITS.chat_rate` in client/shared/protocol.js)."""


def stored_conversation(widget: ShopperWidget) -> dict[str, Any]:
    stored: dict[str, Any] = widget.page.evaluate(
        "key => JSON.parse(localStorage.getItem(key))", f"covisor:conversation:{widget.origin}"
    )
    return stored


def test_messages_written_offline_survive_a_reload_and_arrive_once_in_order(
    accepted: Pair, snap: Any
) -> None:
    agent, shopper = accepted
    page = shopper.page
    page.context.set_offline(True)
    expect(shopper.by("offline-banner")).to_be_visible()
    lines = [f"Offline line {n}" for n in ("one", "two", "three", "four", "five", "six")]
    for text in lines:
        shopper.send_chat(text)
    expect(shopper.by("message-pending")).to_have_count(len(lines))

    # Reload with the socket still unreachable: the page loads, the messages are still there,
    # shown as pending, and nothing is sent.
    unreachable = Unreachable(page)
    page.context.set_offline(False)
    page.reload()
    expect(shopper.by("widget-panel")).to_be_visible()
    pending = shopper.by("message-pending")
    expect(pending).to_have_count(len(lines))
    for index, text in enumerate(lines):
        expect(pending.nth(index)).to_contain_text(text)
    snap("pending-after-reload")

    unreachable.lift()
    for text in lines:
        expect(agent.message(text)).to_have_count(1)
        expect(shopper.message(text)).to_have_count(1)
    expect(shopper.by("message-pending")).to_have_count(0)
    on_agent = [text for _, text in agent.messages()]
    assert [text for text in on_agent if text.startswith("Offline line")] == lines
    assert shopper.messages() == agent.messages()
    left = page.evaluate(
        "() => Object.keys(localStorage).filter((k) => k.startsWith('covisor:outbox:'))"
    )
    assert left == [], "the outbox in storage is empty once everything arrived"


def test_quick_messages_are_pipelined_and_keep_their_order(accepted: Pair) -> None:
    agent, shopper = accepted
    lines = [f"Quick {n}" for n in range(1, 9)]
    # Typed and submitted in one go, faster than any round trip.
    shopper.by("chat-form").evaluate(
        """(form, lines) => { const input = form.querySelector("[data-testid=chat-input]");
             for (const text of lines) { input.value = text; form.requestSubmit(); } }""",
        lines,
    )
    for text in lines:
        expect(agent.message(text)).to_have_count(1)
    on_agent = [text for _, text in agent.messages() if text.startswith("Quick")]
    assert on_agent == lines
    sent = [payload["text"] for payload in shopper.sent("chat.send")]
    assert [text for text in sent if text.startswith("Quick")] == lines

    # Pipelined: several lines were on the wire before the server answered any of them.
    frames = shopper.frames()
    quick = [
        index
        for index, frame in enumerate(frames)
        if frame.direction == "sent"
        and frame.event == "chat.send"
        and frame.payload["text"].startswith("Quick")
    ]
    first_ack = next(
        index
        for index, frame in enumerate(frames)
        if index > quick[0] and frame.direction == "received" and frame.is_ack
    )
    ahead = [index for index in quick if index < first_ack]
    assert len(ahead) >= 2, [frame.text[:60] for frame in frames[quick[0] : first_ack + 1]]


def test_a_new_tab_finds_the_conversation_and_the_reply_that_came_meanwhile(
    accepted: Pair, sides: list[tuple[str, Side]], snap: Any
) -> None:
    agent, shopper = accepted
    conversation = stored_conversation(shopper)
    assert conversation["expires_at"] > conversation["issued_at"]
    shopper.press(shopper.by("widget-close"))
    shopper.page.close()

    agent.send_chat("Your parcel left the warehouse this morning.")
    expect(agent.message("Your parcel left the warehouse this morning.")).to_have_count(1)

    # Another tab of the same browser: the conversation is there, the reply waits on the launcher.
    tab = ShopperWidget(shopper.page.context.new_page(), shopper.origin)
    sides[:] = [(label, side) for label, side in sides if side is not shopper] + [("tab", tab)]
    tab.page.goto(f"{tab.origin}/demo")
    badge = tab.by("launcher-badge")
    expect(badge).to_have_text("1")
    expect(tab.by("launcher-preview")).to_contain_text("Your parcel left the warehouse")
    expect(tab.by("launcher-preview")).to_contain_text(agent.name)
    snap("badge")

    tab.press(tab.by("launcher-preview-open"))
    expect(tab.by("widget-panel")).to_have_attribute("data-status", "active")
    expect(tab.message("Your parcel left the warehouse this morning.")).to_have_count(1)
    expect(badge).to_be_hidden()
    assert stored_conversation(tab)["id"] == conversation["id"]


def test_the_token_is_renewed_once_half_its_lifetime_is_gone(accepted: Pair) -> None:
    _, shopper = accepted
    key = f"covisor:conversation:{shopper.origin}"
    before = stored_conversation(shopper)
    # Pretend it was issued 40 days ago: less than half of its lifetime is left.
    shopper.page.evaluate(
        "([key, value]) => localStorage.setItem(key, JSON.stringify(value))",
        [key, {**before, "issued_at": before["issued_at"] - 40 * 24 * 3600 * 1000}],
    )
    shopper.page.reload()
    shopper.page.wait_for_function(
        "([key, token]) => JSON.parse(localStorage.getItem(key)).token !== token",
        arg=[key, before["token"]],
    )
    after = stored_conversation(shopper)
    assert after["id"] == before["id"]
    assert after["expires_at"] >= before["expires_at"]
    assert after["issued_at"] > before["issued_at"]
    # The new token works: the chat goes on after a reload that uses it.
    shopper.page.reload()
    shopper.send_chat("Still me, with a fresh token")
    expect(shopper.message("Still me, with a fresh token")).to_have_count(1)


def test_a_closed_conversation_offers_a_new_one(accepted: Pair) -> None:
    agent, shopper = accepted
    close = agent.by("conversation-close")
    agent.press(close)
    agent.press(close)
    expect(shopper.by("widget-panel")).to_have_attribute("data-status", "closed")
    shopper.page.reload()
    expect(shopper.by("widget-panel")).to_have_attribute("data-status", "closed")
    new_chat = shopper.by("new-chat")
    expect(new_chat).to_be_visible()
    old = stored_conversation(shopper)["id"]
    shopper.press(new_chat)
    expect(shopper.by("widget-panel")).to_have_attribute("data-status", "new")
    expect(shopper.by("widget-welcome")).to_be_visible()
    outboxes = shopper.page.evaluate(
        "() => Object.keys(localStorage).filter((k) => k.startsWith('covisor:outbox:'))"
    )
    assert not [key for key in outboxes if key.startswith(f"covisor:outbox:{old}:")]
    shopper.start_chat("A new question")
    assert stored_conversation(shopper)["id"] != old


def set_hidden(page: Page, hidden: bool) -> None:
    """What switching to another tab and back does to `document.hidden`."""
    page.evaluate(
        """hidden => { Object.defineProperty(document, "hidden", {value: hidden,
                                                                  configurable: true});
                       document.dispatchEvent(new Event("visibilitychange")); }""",
        hidden,
    )


def test_replies_to_a_closed_chat_show_a_badge_a_preview_and_blink_the_hidden_title(
    accepted: Pair, snap: Any
) -> None:
    agent, shopper = accepted
    page = shopper.page
    title = page.title()
    shopper.press(shopper.by("widget-close"))
    expect(shopper.by("launcher-badge")).to_be_hidden()
    set_hidden(page, True)
    agent.send_chat("Yes, we have it in size 42.")
    agent.send_chat("Shall I show you the sole up close? " + "It is a very grippy one. " * 6)
    expect(shopper.by("launcher-badge")).to_have_text("2")
    preview = shopper.by("launcher-preview")
    expect(preview).to_contain_text("Shall I show you the sole up close?")
    expect(preview).to_contain_text("…")
    page.wait_for_function("() => document.title === '(2) New messages'")
    snap("unread")
    set_hidden(page, False)
    expect(page).to_have_title(title)

    shopper.press(shopper.by("launcher-preview-close"))
    expect(preview).to_be_hidden()
    expect(shopper.by("launcher-badge")).to_have_text("2")
    shopper.press(shopper.by("widget-launcher"))
    expect(shopper.by("message-list")).to_contain_text("size 42")
    shopper.press(shopper.by("widget-close"))
    expect(shopper.by("launcher-badge")).to_be_hidden()


def test_sound_is_off_by_default_and_a_toggle_turns_it_on(accepted: Pair) -> None:
    agent, shopper = accepted
    page = shopper.page
    # Count the chimes instead of listening for them.
    page.add_init_script(
        """window.chimes = 0;
           window.AudioContext = class extends AudioContext {
             constructor() { super(); window.chimes += 1; } };"""
    )
    page.reload()
    toggle = shopper.by("sound-toggle")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    shopper.press(shopper.by("widget-close"))
    agent.send_chat("A reply nobody hears")
    expect(shopper.by("launcher-badge")).to_have_text("1")
    assert page.evaluate("window.chimes") == 0

    shopper.press(shopper.by("widget-launcher"))
    shopper.press(toggle)
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("window.chimes") == 1, "turning it on plays it once"
    page.reload()
    expect(shopper.by("sound-toggle")).to_have_attribute("aria-pressed", "true")
    shopper.press(shopper.by("widget-close"))
    agent.send_chat("A reply with a chime")
    expect(shopper.by("launcher-badge")).to_have_text("1")
    page.wait_for_function("() => window.chimes === 1")


def wait_estimate(page: Page, reply_seconds: float | None) -> None:
    """Answer the widget's `GET /api/wait` with this median time to an answer."""
    body = json.dumps({"waiting": 0, "reply_seconds": reply_seconds})
    page.route(
        "**/api/wait", lambda route: route.fulfill(body=body, content_type="application/json")
    )


def test_the_welcome_card_and_escape(visitor: ShopperWidget) -> None:
    wait_estimate(visitor.page, None)
    visitor.page.reload()
    expect(visitor.by("widget-welcome")).to_be_visible()
    expect(visitor.by("welcome-team")).to_have_text("Customer service")
    expect(visitor.by("welcome-greeting")).to_contain_text("How can we help?")
    expect(visitor.by("welcome-reply")).to_have_text("We usually reply within a few minutes.")
    visitor.page.unroute("**/api/wait")
    wait_estimate(visitor.page, 130.0)
    visitor.page.reload()
    expect(visitor.by("welcome-reply")).to_have_text("We usually reply within 3 min.")
    expect(visitor.by("welcome-reply")).to_have_attribute("data-source", "queue")

    # Styled (the widget stays hidden until its sheets are in), so the launcher can take focus.
    expect(visitor.by("chat-input")).to_be_visible()
    visitor.by("chat-input").focus()
    visitor.page.keyboard.press("Escape")
    expect(visitor.by("widget-panel")).to_be_hidden()
    expect(visitor.by("widget-launcher")).to_be_focused()


def test_welcome_from_the_script_tag_and_the_demo_language_switch(
    server: Any, contexts: Any, sides: list[tuple[str, Side]], snap: Any
) -> None:
    page = contexts.new("polish", PHONE).new_page()
    shopper = ShopperWidget(page, server.url)
    sides.append(("shopper", shopper))
    wait_estimate(page, None)
    page.goto(f"{server.url}/demo")
    page.get_by_test_id("demo-lang").select_option("pl")
    page.wait_for_url(re.compile(r"lang=pl"))
    expect(shopper.by("widget-launcher")).to_have_text("Porozmawiaj z nami")
    shopper.press(shopper.by("widget-launcher"))
    expect(shopper.by("welcome-team")).to_have_text("Obsługa klienta")
    expect(shopper.by("welcome-reply")).to_have_text("Zwykle odpowiadamy w ciągu kilku minut.")
    snap("polish-welcome")

    # A shop's own settings on the script tag.
    settings = [
        'data-team="Northwind help desk" data-greeting="Cześć! Pomożemy dobrać rozmiar." '
        'data-reply-minutes="5"'
    ]

    def with_settings(route: Route) -> None:
        response = route.fetch()
        tag = 'src="/client/widget.js"'
        body = response.text().replace(tag, " ".join([tag, *settings]))
        route.fulfill(response=response, body=body)

    page.route(re.compile(r".*/demo(\?.*)?$"), with_settings)
    page.reload()
    expect(shopper.by("widget-panel")).to_be_visible()
    expect(shopper.by("welcome-team")).to_have_text("Northwind help desk")
    expect(shopper.by("welcome-avatar")).to_have_text("NH")
    expect(shopper.by("welcome-greeting")).to_have_text("Cześć! Pomożemy dobrać rozmiar.")
    expect(shopper.by("welcome-reply")).to_have_text("Zwykle odpowiadamy w ciągu 5 min.")
    expect(page.locator("#cv-title")).to_have_text("Northwind help desk")
    snap("configured")

    # A team picture instead of the initials: a path on the shop, resolved against the page.
    settings.append(f'data-avatar="{AVATAR}"')
    page.reload()
    avatar = shopper.by("welcome-avatar")
    expect(avatar).to_be_visible()
    assert avatar.evaluate("element => element.tagName") == "IMG"
    expect(avatar).to_have_attribute("src", f"{server.url}{AVATAR}")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=avatar.element_handle()
    )
    assert avatar.evaluate("img => img.naturalWidth") == 192
    box = avatar.bounding_box()
    assert box is not None and box["width"] == box["height"] == 44
    expect(shopper.by("welcome-team")).to_have_text("Northwind help desk")
    snap("avatar")
    avatar.screenshot(path=ARTIFACTS / "welcome-avatar.png")


def test_an_agents_queued_lines_survive_a_reload_too(accepted: Pair, snap: Any) -> None:
    agent, shopper = accepted
    page = agent.page
    page.context.set_offline(True)
    expect(agent.by("offline-banner")).to_be_visible()
    lines = [f"Agent line {n}" for n in range(1, 8)]
    for text in lines:
        agent.send_chat(text)
    expect(agent.by("message-pending")).to_have_count(len(lines))

    unreachable = Unreachable(page)
    page.context.set_offline(False)
    page.reload()
    agent.expect_selected(shopper.conversation_id())
    expect(agent.by("message-pending")).to_have_count(len(lines))
    snap("agent-pending-after-reload")
    unreachable.lift()
    for text in lines:
        expect(shopper.message(text)).to_have_count(1)
        expect(agent.message(text)).to_have_count(1)
    expect(agent.by("message-pending")).to_have_count(0)
    assert [text for _, text in shopper.messages() if text.startswith("Agent line")] == lines


def test_an_agent_reloading_with_lines_in_flight_sends_each_once_in_order(
    accepted: Pair, snap: Any
) -> None:
    agent, shopper = accepted
    lines = [f"Rush line {n}" for n in range(1, 61)]
    # Online the whole time: typed in one go, and the page reloads while most are still queued
    # (paced under the server's chat rate) and the first ones are on the wire, unacknowledged.
    agent.by("chat-form").evaluate(
        """(form, lines) => { const input = form.querySelector("[data-testid=chat-input]");
             for (const text of lines) { input.value = text; form.requestSubmit(); } }""",
        lines,
    )
    agent.page.reload()
    agent.expect_selected(shopper.conversation_id())

    # The reloaded page sends what is left at the server's chat rate after a fresh burst.
    paced_ms = (len(lines) - CHAT_BURST) / CHAT_RATE_PER_S * 1000
    expect(shopper.message(lines[-1])).to_have_count(1, timeout=WAIT_MS + paced_ms)
    expect(agent.message(lines[-1])).to_have_count(1)
    expect(agent.by("message-pending")).to_have_count(0)
    snap("all-arrived")

    def rush(side: Side) -> list[str]:
        return [text for _, text in side.messages() if text.startswith("Rush line")]

    # The reloaded console starts from the recent messages; older ones are a click away.
    history = agent.by("load-history")
    for _ in range(len(lines) // 10):
        if not history.is_visible():
            break
        agent.press(history)
        expect(history).to_be_enabled()
    assert rush(shopper) == lines
    assert rush(agent) == lines
    assert shopper.messages() == agent.messages()
    seqs = [seq for seq, _ in shopper.messages()]
    assert seqs == sorted(set(seqs))
    left = agent.page.evaluate(
        "() => Object.keys(localStorage).filter((k) => k.startsWith('covisor:outbox:'))"
    )
    assert left == [], "the outbox in storage is empty once everything arrived"

    sends = agent.acks("chat.send")
    ids = [payload["client_id"] for payload, _ in sends]
    resent = len(ids) - len(set(ids))
    dropped = [ack for _, ack in sends if ack and ack.get("ok") and "event" not in ack]
    print(
        f"sent {len(ids)} chat.send for {len(lines)} lines: {resent} resent, "
        f"{len(dropped)} answered as repeats by the server"
    )


def test_a_tab_left_open_follows_the_conversation_another_tab_starts(
    server: Any, contexts: Any, sides: list[tuple[str, Side]], snap: Any
) -> None:
    context = contexts.new("tabs", PHONE)
    first = ShopperWidget(context.new_page(), server.url)
    second = ShopperWidget(context.new_page(), server.url)
    sides.extend([("first", first), ("second", second)])
    for tab in (first, second):
        tab.open_widget()
    first.start_chat("Hello from the first tab")
    expect(second.by("widget-panel")).to_have_attribute("data-status", "waiting")
    expect(second.message("Hello from the first tab")).to_have_count(1)
    second.send_chat("And from the second")
    expect(first.message("And from the second")).to_have_count(1)
    assert first.conversation_id() == second.conversation_id()
    snap("both")


def test_the_launcher_stays_hidden_until_its_styles_are_in(
    server: Any, contexts: Any, sides: list[tuple[str, Side]]
) -> None:
    """On a cold cache the widget's sheets come after its script: an unstyled launcher in the
    page's flow would take a tap, then jump to its corner (a CI flake, stop 30)."""
    page = contexts.new("cold", PHONE).new_page()
    shopper = ShopperWidget(page, server.url)
    sides.append(("shopper", shopper))
    held: list[Route] = []
    page.route("**/client/widget/widget.css", lambda route: held.append(route))
    page.goto(f"{server.url}/demo", wait_until="domcontentloaded")
    for _ in range(int(WAIT_MS / 50)):
        if held:
            break
        page.wait_for_timeout(50)
    expect(shopper.by("widget-launcher")).to_be_hidden()
    assert len(held) == 1
    held[0].continue_()
    shopper.press(shopper.by("widget-launcher"))
    expect(shopper.by("widget-panel")).to_be_visible()
    box = shopper.by("widget-panel").bounding_box()
    assert box is not None and box["x"] == 0 and box["width"] == PHONE["viewport"]["width"]


def test_the_demo_shop_speaks_the_browsers_language_and_its_pages_are_links(
    server: Any, contexts: Any, sides: list[tuple[str, Side]], snap: Any
) -> None:
    """Issue 24, 8: a Spanish phone on the demo page (`<html lang="en">`, no `data-lang`) gets
    the widget in Spanish; products and the menu are links; each page has its own title."""
    page: Page = contexts.new("shopper", {**PHONE, "locale": "es-ES"}).new_page()
    shopper = ShopperWidget(page, server.url)
    sides.append(("shopper", shopper))
    page.goto(f"{server.url}/demo")
    expect(page).to_have_title("Northwind Outfitters — demo shop")
    shopper.press(shopper.by("widget-launcher"))
    expect(shopper.by("chat-input")).to_have_attribute("placeholder", "Escribe un mensaje…")
    expect(page.get_by_test_id("demo-lang")).to_have_value("es")
    snap("home")
    shopper.press(shopper.by("widget-close"))
    shopper.press(page.get_by_role("link", name="Desk lamp"))
    expect(page).to_have_url(re.compile(r"/demo/desk-lamp$"))
    expect(page).to_have_title("Desk lamp — Northwind Outfitters")
    expect(page.locator('header nav a[href="/demo/footwear"]')).to_have_text("Footwear")
