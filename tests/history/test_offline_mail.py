"""Leave-a-message: availability, offline conversations and answers by e-mail (real SMTP)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime

import pytest

from covisor.app.http import create_app
from covisor.config import Config
from tests.conftest import Harness, ManualClock, serving
from tests.mailbox import Mailbox, parts, smtp_server
from tests.translation_engines import LibreTranslateDouble

SUNDAY_NOON = datetime.fromisoformat("2026-06-07T12:00:00+02:00").timestamp() * 1000.0
MONDAY_TEN = datetime.fromisoformat("2026-06-08T10:00:00+02:00").timestamp() * 1000.0


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server() as found:
        yield found


@pytest.fixture
async def mailing(config: Config, smtp: tuple[Mailbox, int]) -> AsyncIterator[Harness]:
    mailed = config.replace(
        smtp_host="127.0.0.1",
        smtp_port=smtp[1],
        smtp_tls="none",
        mail_from="Shoes & Co <help@shoes.example>",
        shop_name="Shoes & Co",
        offline_email_delay=0.3,
    )
    async with serving(await create_app(mailed)) as h:
        yield h


async def offline_conversation(h: Harness, email: str | None, locale: str = "en") -> dict[str, str]:
    """A message left while nobody answers, as the widget leaves it."""
    visitor = {"name": "Ana", "email": email} if email else {"name": "Ana"}
    opened = await h.open_conversation(offline=True, visitor=visitor, locale=locale)
    shopper = await h.peer(opened["token"])
    cid = opened["id"]
    await shopper.ok("join", {"conversation_id": cid})
    await shopper.ok("chat.send", {"conversation_id": cid, "text": "Do you have size 39?"})
    await shopper.close()
    return opened


async def answer(h: Harness, cid: str, *lines: str) -> None:
    agent_token = await h.agent_token("Marta")
    await h.accepted(cid, agent_token)
    agent = await h.peer(agent_token)
    await agent.ok("join", {"conversation_id": cid})
    for line in lines:
        await agent.ok("chat.send", {"conversation_id": cid, "text": line})


async def settled(h: Harness) -> None:
    assert h.services.offline_mail is not None
    await h.services.offline_mail.settled()


async def test_a_burst_of_answers_is_one_email(mailing: Harness, smtp: tuple[Mailbox, int]) -> None:
    mailbox, _ = smtp
    opened = await offline_conversation(mailing, "ana@example.com", locale="es-ES")
    status, summary = await mailing.request(
        "GET", f"/api/conversations/{opened['id']}", opened["token"]
    )
    assert status == 200 and summary["offline"] is True
    await answer(mailing, opened["id"], "¡Hola Ana!", "Sí, la 39 está en stock.", "Hasta pronto")
    (message,) = await mailbox.wait_for(1)
    await settled(mailing)
    assert len(mailbox.received) == 1
    assert mailbox.received[0][0] == ["ana@example.com"]
    assert message["From"] == "Shoes & Co <help@shoes.example>"
    assert message["Subject"] == "Shoes & Co: respuesta a tu mensaje"
    text, html = parts(message)
    for line in ("Sí, la 39 está en stock.", "Hasta pronto", "Hola, Ana:"):
        assert line in text
    assert "Sí, la 39 está en stock." in html and "Shoes &amp; Co" in html
    # The shopper's own message is not mailed back to them; no external content.
    assert "size 39" not in text and "size 39" not in html
    assert "<img" not in html and "<script" not in html


async def test_nothing_is_mailed_while_the_shopper_is_connected(
    mailing: Harness, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, _ = smtp
    opened = await mailing.open_conversation(offline=True, visitor={"email": "ana@example.com"})
    shopper = await mailing.peer(opened["token"])
    await shopper.ok("join", {"conversation_id": opened["id"]})
    await shopper.ok("chat.send", {"conversation_id": opened["id"], "text": "hello"})
    await answer(mailing, opened["id"], "Hi! I'm here now.")
    await settled(mailing)
    assert mailbox.received == []


async def test_only_offline_conversations_with_an_email_are_mailed(
    mailing: Harness, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, _ = smtp
    without = await offline_conversation(mailing, None)
    await answer(mailing, without["id"], "We will be happy to help")
    online = await mailing.open_conversation(visitor={"email": "bob@example.com"})
    await answer(mailing, online["id"], "Hello Bob")
    await settled(mailing)
    assert mailbox.received == []


async def test_the_email_setting_is_served(harness: Harness, mailing: Harness) -> None:
    assert (await harness.request("GET", "/api/config"))[1]["email"] is False
    assert (await mailing.request("GET", "/api/config"))[1]["email"] is True


async def test_availability_outside_business_hours(config: Config) -> None:
    clock = ManualClock(SUNDAY_NOON)
    hours = config.replace(business_hours="mon-fri 09:00-18:00", timezone="Europe/Madrid")
    async with serving(await create_app(hours, clock=clock)) as h:
        status, found = await h.request("GET", "/api/availability")
        assert status == 200
        assert found == {"open": False, "reason": "closed_hours", "next_open": MONDAY_TEN - 3.6e6}


async def test_availability_needs_an_online_agent(config: Config) -> None:
    clock = ManualClock(MONDAY_TEN)
    hours = config.replace(business_hours="mon-fri 09:00-18:00")
    async with serving(await create_app(hours, clock=clock)) as h:
        found = (await h.request("GET", "/api/availability"))[1]
        assert found == {"open": False, "reason": "no_agent", "next_open": None}
        agent = await h.peer(await h.agent_token())
        assert agent.sio.connected
        clock.advance(6)  # past the cached answer
        assert (await h.request("GET", "/api/availability"))[1]["open"] is True
        status, _ = await h.request("PUT", "/api/me/status", agent.token, json={"status": "away"})
        assert status in (200, 204)
        clock.advance(6)
        found = (await h.request("GET", "/api/availability"))[1]
        assert found["reason"] == "no_agent"
    always = config.replace(leave_message_without_agents=False)
    async with serving(await create_app(always)) as h:
        found = (await h.request("GET", "/api/availability"))[1]
        assert found == {"open": True, "reason": None, "next_open": None}


async def test_transcript_by_email_for_the_shopper(
    mailing: Harness, smtp: tuple[Mailbox, int], harness: Harness
) -> None:
    mailbox, _ = smtp
    cid, customer, agent = await mailing.session()
    await customer.ok("chat.send", {"conversation_id": cid, "text": "Is it waterproof?"})
    await agent.ok("chat.send", {"conversation_id": cid, "text": "Yes, fully."})
    status, _ = await mailing.request(
        "POST", f"/api/conversations/{cid}/notes", agent.token, json={"text": "VIP customer"}
    )
    assert status == 201
    path = f"/api/conversations/{cid}/transcript/email"
    status, body = await mailing.request(
        "POST", path, customer.token, json={"email": "a@b.example"}
    )
    assert status == 202, body
    (message,) = await mailbox.wait_for(1)
    assert message["To"] == "a@b.example"
    text, html = parts(message)
    assert "Is it waterproof?" in text and "Yes, fully." in html
    assert "VIP customer" not in text and "VIP customer" not in html
    assert "<script" not in html and "<img" not in html
    refused = await mailing.request("POST", path, agent.token, json={"email": "a@b.example"})
    assert refused[0] == 403
    for _ in range(2):
        await mailing.request("POST", path, customer.token, json={"email": "a@b.example"})
    limited = await mailing.request("POST", path, customer.token, json={"email": "a@b.example"})
    assert limited[0] == 429
    assert (await mailing.request("POST", path, customer.token, json={"email": "nope"}))[0] == 400
    # Without SMTP the copy is unavailable.
    opened = await harness.open_conversation()
    off = f"/api/conversations/{opened['id']}/transcript/email"
    status, body = await harness.request(
        "POST", off, opened["token"], json={"email": "a@b.example"}
    )
    assert status == 503 and body["error"]["code"] == "unavailable"
    # Who may ask is answered before whether it can be done: another conversation's shopper
    # and a stranger learn nothing of the mail set-up.
    other = await harness.open_conversation()
    status, body = await harness.request("POST", off, other["token"], json={"email": "a@b.example"})
    assert (status, body["error"]["code"]) == (403, "forbidden"), body
    status, body = await harness.request("POST", off, json={"email": "a@b.example"})
    assert (status, body["error"]["code"]) == (401, "unauthorized"), body


CONTROL_ADDRESSES = ["a\u0000@b.example", "a\u0001b@c.example", "a@b\u007f.example", "a@b\u009b.x"]
"""Addresses with a control character, which the SMTP client refuses to send to (a `500` once)."""


@pytest.mark.parametrize("address", CONTROL_ADDRESSES)
async def test_an_address_with_a_control_character_is_refused(
    mailing: Harness, smtp: tuple[Mailbox, int], address: str
) -> None:
    """The transcript's and the shopper's own e-mail address: `400`, nothing kept or sent."""
    cid, customer, _ = await mailing.session()
    path = f"/api/conversations/{cid}/transcript/email"
    status, answer = await mailing.request("POST", path, customer.token, json={"email": address})
    assert (status, answer["error"]["code"]) == (400, "bad_request"), answer
    status, answer = await mailing.request(
        "PUT", f"/api/conversations/{cid}/visitor", customer.token, json={"email": address}
    )
    assert (status, answer["error"]["code"]) == (400, "bad_request"), answer
    status, answer = await mailing.request(
        "POST", "/api/conversations", json={"offline": True, "visitor": {"email": address}}
    )
    assert (status, answer["error"]["code"]) == (400, "bad_request"), answer
    status, sent = await mailing.request(
        "POST", path, customer.token, json={"email": "a@b.example"}
    )
    assert status == 202, sent
    assert [message["To"] for message in await smtp[0].wait_for(1)] == ["a@b.example"]


async def test_an_answer_is_mailed_with_its_translation_into_the_shoppers_language(
    config: Config, smtp: tuple[Mailbox, int], libretranslate: LibreTranslateDouble
) -> None:
    mailed = config.replace(
        smtp_host="127.0.0.1",
        smtp_port=smtp[1],
        smtp_tls="none",
        mail_from="Shoes & Co <help@shoes.example>",
        offline_email_delay=0.5,
        translate_url=libretranslate.url,
        translate_api="libretranslate",
    )
    async with serving(await create_app(mailed)) as h:
        opened = await offline_conversation(h, "ana@example.com", locale="es-ES")
        token = await h.agent_token("Marta")
        await h.request("PUT", "/api/me/language", token, json={"language": "en"})
        await h.accepted(opened["id"], token)
        agent = await h.peer(token)
        await agent.ok("join", {"conversation_id": opened["id"]})
        await agent.ok("chat.send", {"conversation_id": opened["id"], "text": "hello yes"})
        (message,) = await smtp[0].wait_for(1)
        text, html = parts(message)
        assert "hello yes\n[Traducción (es)] hola sí" in text.replace("\r\n", "\n")
        assert "Traducción (es):</span> hola sí" in html
