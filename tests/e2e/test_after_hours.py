"""After hours, in Chromium: a phone shopper finds the shop closed (the module's server runs
with `COVISOR_BUSINESS_HOURS` that exclude now), leaves a message with an e-mail address, an
agent answers in the console, the answer arrives by e-mail at a real SMTP server on loopback
(aiosmtpd in this process), and the shopper, back on the shop, finds it in the widget. On a
second server without SMTP, the widget asks for no address and promises no e-mail.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, Contexts, CovisorServer, Snap, served
from tests.e2e.sides import DESKTOP, PHONE, AgentConsole, ShopperWidget, Side
from tests.mailbox import Mailbox, parts, smtp_server

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
QUESTION = {"en": "Do you have the trail sneaker in 39?", "es": "¿Tenéis la zapatilla en la 39?"}
ANSWER = {"en": "Yes, size 39 is in stock!", "es": "¡Sí, la 39 está disponible!"}
CLOSED = {"en": "We're closed right now.", "es": "Ahora mismo estamos cerrados."}
LEFT = {
    "en": "Message left, we'll answer soon",
    "es": "Mensaje recibido, te responderemos",
}


def closed_now() -> str:
    """Business hours that exclude this moment: one hour, three days from today."""
    today = datetime.now(ZoneInfo("Europe/Madrid")).weekday()
    return f"{DAYS[(today + 3) % 7]} 09:00-10:00"


@pytest.fixture(scope="module")
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server() as found:
        yield found


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, mailbox: tuple[Mailbox, int]
) -> Iterator[CovisorServer]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    data_dir = tmp_path_factory.mktemp("covisor-after-hours")
    env = {
        "COVISOR_SEED_DEMO": "0",
        "COVISOR_BUSINESS_HOURS": closed_now(),
        "COVISOR_TIMEZONE": "Europe/Madrid",
        "COVISOR_SMTP_HOST": "127.0.0.1",
        "COVISOR_SMTP_PORT": str(mailbox[1]),
        "COVISOR_SMTP_TLS": "none",
        "COVISOR_MAIL_FROM": "Northwind Outfitters <help@northwind.example>",
        "COVISOR_SHOP_NAME": "Northwind Outfitters",
        "COVISOR_OFFLINE_EMAIL_DELAY": "1",
        "COVISOR_LEAVE_MESSAGE_WITHOUT_AGENTS": "1",
    }
    with served(data_dir, ARTIFACTS / "server-after-hours.log", env) as url:
        yield CovisorServer(url, data_dir, "", {})


@pytest.fixture(scope="module")
def mailless(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CovisorServer]:
    """The same closed shop on a server that sends no e-mail (no `COVISOR_SMTP_HOST`)."""
    data_dir = tmp_path_factory.mktemp("covisor-after-hours-mailless")
    env = {
        "COVISOR_SEED_DEMO": "0",
        "COVISOR_BUSINESS_HOURS": closed_now(),
        "COVISOR_TIMEZONE": "Europe/Madrid",
    }
    with served(data_dir, ARTIFACTS / "server-after-hours-mailless.log", env) as url:
        started = CovisorServer(url, data_dir, "", {})
        started.demo_token = started.add_agent("Alex")
        yield started


def reopen(shopper: ShopperWidget, url: str) -> None:
    """Load the shop page with the chat panel open (it stays open across loads once opened)."""
    shopper.page.goto(url)
    panel = shopper.by("widget-panel")
    # The widget builds its panel already open or closed, in one go.
    expect(panel).to_be_attached()
    if panel.get_attribute("hidden") is not None:
        shopper.press(shopper.by("widget-launcher"))
    expect(panel).to_be_visible()


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_message_left_after_hours_is_answered_by_email_and_in_the_widget(
    lang: str,
    visitor: ShopperWidget,
    agent: AgentConsole,
    mailbox: tuple[Mailbox, int],
    snap: Snap,
) -> None:
    inbox, _ = mailbox
    before = len(inbox.received)
    shopper = visitor
    shop = f"{shopper.origin}/demo?lang={lang}"
    reopen(shopper, shop)
    card = shopper.by("away-card")
    expect(card).to_be_visible()
    expect(shopper.by("away-reason")).to_have_text(CLOSED[lang])
    expect(shopper.by("away-next")).to_be_visible()
    expect(shopper.by("widget-welcome")).to_be_hidden()
    snap("away")

    shopper.by("away-email").fill("not-an-address")
    shopper.send_chat(QUESTION[lang])
    expect(shopper.by("away-email-error")).to_be_visible()
    shopper.by("away-email").fill("ana@example.com")
    shopper.press(shopper.by("chat-send"))
    expect(shopper.by("widget-panel")).to_have_attribute("data-status", "waiting")
    expect(shopper.message(QUESTION[lang])).to_have_count(1)
    expect(shopper.by("away-left")).to_contain_text("ana@example.com")
    expect(shopper.by("conversation-status")).to_have_text(LEFT[lang])
    cid = shopper.conversation_id()
    snap("left")

    # The shopper leaves the shop; the agent answers in the console.
    shopper.page.goto("about:blank")
    agent.accept(cid)
    expect(agent.by("offline-message")).to_be_visible()
    agent.send_chat(ANSWER[lang])
    expect(agent.message(ANSWER[lang])).to_have_count(1)

    *_, message = inbox.wait_sync(before + 1, timeout=20)
    assert inbox.received[before][0] == ["ana@example.com"]
    assert message["From"] == "Northwind Outfitters <help@northwind.example>"
    text, html = parts(message)
    assert ANSWER[lang] in text and ANSWER[lang] in html
    assert QUESTION[lang] not in text

    # Back on the shop, the answer is in the widget.
    reopen(shopper, shop)
    expect(shopper.message(ANSWER[lang])).to_have_count(1)
    expect(shopper.by("away-card")).to_be_hidden()
    snap("answered")


@pytest.mark.browser
def test_without_email_the_closed_shop_promises_only_an_answer_here(
    mailless: CovisorServer, contexts: Contexts, sides: list[tuple[str, Side]], snap: Snap
) -> None:
    """Issue 24, 1: no SMTP, so no address asked and no e-mail promised (in Polish); once the
    message is left the header says so, not "waiting for an agent"; the agent is told the
    shopper only sees the answer on their next visit."""
    page = contexts.new("shopper", {**PHONE, "locale": "pl-PL"}).new_page()
    shopper = ShopperWidget(page, mailless.url)
    sides.append(("shopper", shopper))
    reopen(shopper, f"{mailless.url}/demo?lang=pl")
    expect(shopper.by("away-reason")).to_have_text("W tej chwili jesteśmy zamknięci.")
    expect(shopper.by("away-prompt")).to_contain_text("na tym urządzeniu")
    expect(shopper.by("away-email")).to_be_hidden()
    shopper.send_chat("Czy macie te buty w rozmiarze 39?")
    expect(shopper.by("widget-panel")).to_have_attribute("data-status", "waiting")
    expect(shopper.by("away-left")).to_have_text(
        "Naszą odpowiedź znajdziesz tutaj przy następnej wizycie."
    )
    expect(shopper.by("conversation-status")).to_have_text("Wiadomość zostawiona")
    assert "mail" not in shopper.by("away-card").inner_text()
    snap("left")
    cid = shopper.conversation_id()

    agent = AgentConsole(contexts.new("agent", DESKTOP).new_page(), mailless.url, name="Alex")
    agent.log_in(mailless.demo_token)
    sides.append(("agent", agent))
    agent.accept(cid)
    expect(agent.by("offline-message")).to_be_visible()
    expect(agent.by("offline-message")).to_contain_text("next visit")


@pytest.mark.browser
def test_the_shopper_emails_themselves_a_closed_conversation(
    accepted: tuple[AgentConsole, ShopperWidget], mailbox: tuple[Mailbox, int], snap: Snap
) -> None:
    inbox, _ = mailbox
    before = len(inbox.received)
    agent, shopper = accepted
    agent.send_chat("Here is the size chart you asked for.")
    expect(shopper.message("Here is the size chart you asked for.")).to_have_count(1)
    agent.press(agent.by("conversation-close"))
    agent.press(agent.by("conversation-close"))  # the second press confirms
    expect(shopper.by("widget-panel")).to_have_attribute("data-status", "closed")
    shopper.press(shopper.by("mail-copy"))
    shopper.by("mail-copy-email").fill("ana@example.com")
    shopper.press(shopper.by("mail-copy-send"))
    expect(shopper.by("mail-copy-status")).to_contain_text("ana@example.com")
    snap("mailed")
    *_, message = inbox.wait_sync(before + 1, timeout=20)
    assert message["To"] == "ana@example.com"
    assert message["Subject"] == "Northwind Outfitters: your conversation"
    text, html = parts(message)
    assert "Here is the size chart you asked for." in text
    zone = shopper.page.evaluate("() => Intl.DateTimeFormat().resolvedOptions().timeZone")
    assert f"Times in {zone} (UTC" in text, "in the shopper's zone, named (issue 24, 9)"
    assert "<script" not in html and "<img" not in html
