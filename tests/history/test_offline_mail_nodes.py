"""Offline answers kept in the store, not in one process: a burst noted by a node that dies
is e-mailed by another, once; nodes polling side by side e-mail each burst once (real SMTP, on
SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from covisor.app.options import smtp_options
from covisor.config import Config
from covisor.history.offline_mail import OfflineMail
from covisor.kernel.events import Event
from covisor.kernel.metrics import Metrics
from covisor.outbox.mailer import Mailer
from covisor.store import Append
from tests.mailbox import Mailbox, smtp_server

MARTA = {"id": "a_1", "role": "agent", "name": "Marta"}


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server() as found:
        yield found


def node(store: Any, port: int, clock: Clock, name: str, delay: float = 60.0) -> OfflineMail:
    config = Config(smtp_host="127.0.0.1", smtp_port=port, smtp_tls="none", mail_from="s@x.example")
    return OfflineMail(
        store,
        Mailer(smtp_options(config), clock, Metrics()),
        clock,
        claimer=name,
        shopper_here=lambda cid: False,
        delay=delay,
        shop="Shoes & Co",
        tz=lambda: ZoneInfo("Europe/Madrid"),
    )


async def left_message(store: Any, cid: str, email: str, *answers: str) -> list[Event]:
    """An offline conversation whose shopper left `email`, with the agent's `answers`."""
    await store.create_conversation(cid, 1.0)
    shopper = {"id": "s", "role": "customer", "name": "Ana"}
    events = [Event(cid, 1, "chat.message", 2.0, shopper, {"text": "¿Talla 39?"})]
    events += [
        Event(cid, 2 + i, "chat.message", 3.0 + i, MARTA, {"text": text})
        for i, text in enumerate(answers)
    ]
    summary = {"status": "active", "offline": True, "visitor": {"name": "Ana", "email": email}}
    assert await store.commit([Append(cid, 0, events, summary)]) == set()
    return events


async def test_a_burst_noted_by_a_node_that_died_is_e_mailed_by_another_once(
    store: Any, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp
    clock = Clock()
    first, second = node(store, port, clock, "first"), node(store, port, clock, "second")
    events = await left_message(store, "c1", "ana@example.com", "Sí, la hay.", "¿Te la guardo?")
    first.published([(e, None) for e in events[1:]])
    while first._noting:  # noqa: SLF001 (the notes reach the store, then the node dies)
        await asyncio.sleep(0.01)
    await first.stop()

    assert await second.run_due() == 0, "not due yet"
    clock.now += 61_000
    assert await second.run_due() == 1
    (message,) = await mailbox.wait_for(1)
    assert message["To"] == "ana@example.com"
    assert "¿Te la guardo?" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    clock.now += 600_000
    assert await second.run_due() == 0 and await first.run_due() == 0
    assert len(mailbox.received) == 1


async def test_nodes_polling_side_by_side_e_mail_each_burst_once(
    store: Any, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp
    clock = Clock()
    nodes = [node(store, port, clock, f"n{i}") for i in range(3)]
    for i in range(12):
        events = await left_message(store, f"c{i}", f"shopper{i}@example.com", f"Respuesta {i}")
        await store.schedule_offline_mail(f"c{i}", events[-1].seq, clock.now + 60_000)
    clock.now += 61_000
    handled = await asyncio.gather(*(n.run_due() for n in nodes for _ in range(2)))
    assert sum(handled) == 12
    await mailbox.wait_for(12)
    await asyncio.sleep(0.2)
    assert sorted(to for to, _ in mailbox.received) == sorted(
        [f"shopper{i}@example.com"] for i in range(12)
    )


async def test_a_line_after_the_claim_waits_as_a_burst_of_its_own(store: Any) -> None:
    await store.schedule_offline_mail("c1", 2, 100.0)
    await store.schedule_offline_mail("c1", 5, 200.0)
    await store.schedule_offline_mail("c1", 3, 150.0)
    (claimed,) = await store.claim_offline_mail(200.0, 1000.0, "n1", 10)
    assert (claimed.first_seq, claimed.due_at) == (2, 200.0), "earliest line, latest due time"
    assert await store.claim_offline_mail(200.0, 1000.0, "n2", 10) == [], "leased to n1"
    await store.schedule_offline_mail("c1", 9, 400.0)
    await store.finish_offline_mail(claimed, "n1", 6)
    (again,) = await store.claim_offline_mail(400.0, 1000.0, "n2", 10)
    assert (again.first_seq, again.due_at) == (6, 400.0)
    await store.finish_offline_mail(again, "n2", 10)
    assert await store.claim_offline_mail(10_000.0, 20_000.0, "n1", 10) == []
