"""The report part of the Store contract: per-conversation facts, invitations, visitors and
conversions of a range, [start, end) in ms."""

from __future__ import annotations

from typing import Any

from covisor.kernel.events import Event
from covisor.store import Append
from covisor.store.records import (
    AgentPart,
    ConversationFacts,
    ConversionRecord,
    InvitationRecord,
    OrderGroup,
    Outcome,
    PageView,
    VisitorGroup,
)

START, END = 100_000.0, 900_000.0
GAP = 30 * 60 * 1000.0
SHOPPER = {"id": "s1", "role": "customer", "name": "Ana"}
ANN = {"id": "a1", "role": "agent", "name": "Ann"}
BOB = {"id": "a2", "role": "agent", "name": "Bob"}


async def conversation(
    store: Any,
    cid: str,
    at: float,
    events: list[tuple[str, float, dict[str, str], dict[str, Any]]],
    summary: dict[str, Any],
) -> None:
    await store.create_conversation(cid, at)
    opened = [("conversation.opened", at, SHOPPER, {"page": None, "name": "Ana"})]
    built = [
        Event(cid, seq, type_, when, actor, data)
        for seq, (type_, when, actor, data) in enumerate(opened + events, start=1)
    ]
    assert not await store.commit([Append(cid, 0, built, {"id": cid, **summary})])


async def test_conversation_facts_read_each_conversation_of_the_range(store: Any) -> None:
    await conversation(
        store,
        "c1",
        START,
        [
            ("chat.message", START + 5_000, SHOPPER, {"text": "hi"}),
            (
                "conversation.accepted",
                START + 30_000,
                {**ANN},
                {"agent": {"id": "a1", "name": "Ann"}},
            ),
            ("chat.message", START + 40_000, ANN, {"text": "hello"}),
            ("chat.message", START + 45_000, ANN, {"text": "more"}),
            ("media.ready", START + 50_000, SHOPPER, {"upload_id": "u1"}),
            ("media.ready", START + 51_000, SHOPPER, {"upload_id": "u2"}),
            ("member.joined", START + 52_000, SHOPPER, {"member": {"id": "k1"}}),
            ("conversation.transferred", START + 55_000, ANN, {"from": ANN, "to": BOB}),
            ("chat.message", START + 70_000, BOB, {"text": "Bob here"}),
            ("conversation.closed", START + 100_000, BOB, {}),
            ("conversation.rated", START + 110_000, SHOPPER, {"score": 4}),
        ],
        {"status": "closed", "agent_id": "a2", "visitor": {"device": "phone"}, "offline": False},
    )
    await conversation(store, "c2", START + 1_000, [], {"status": "waiting", "offline": True})
    await store.create_conversation("call", START + 3_000)
    opened = Event("call", 1, "conversation.opened", START + 3_000, SHOPPER, {"by_phone": True})
    assert not await store.commit([Append("call", 0, [opened], {"id": "call", "visitor": {}})])
    await conversation(store, "before", START - 1, [], {"status": "waiting"})
    await conversation(store, "after", END, [], {"status": "waiting"})
    await store.create_conversation("empty", START + 2_000)  # never opened: seq 0

    facts = await store.conversation_facts(START, END)

    assert facts == [
        ConversationFacts(
            id="c1",
            opened_at=START,
            device="phone",
            offline=False,
            status="closed",
            agent_id="a1",
            agent_name="Ann",
            accepted_at=START + 30_000,
            first_response_at=START + 40_000,
            closed_at=START + 100_000,
            rating=4,
            uploads=2,
            pin_joins=1,
            closed_by="a2",
            closed_by_name="Bob",
            parts=(
                AgentPart("a1", "Ann", START + 30_000, 2, START + 40_000),
                AgentPart("a2", "Bob", START + 55_000, 1, START + 70_000),
            ),
        ),
        ConversationFacts(
            id="c2",
            opened_at=START + 1_000,
            device="unknown",
            offline=True,
            status="waiting",
            agent_id=None,
            agent_name=None,
            accepted_at=None,
            first_response_at=None,
            closed_at=None,
            rating=None,
            uploads=0,
            pin_joins=0,
        ),
        ConversationFacts(
            "call",
            START + 3_000,
            "call",
            False,
            "waiting",
            None,
            None,
            None,
            None,
            None,
            None,
            0,
            0,
        ),
    ]
    assert await store.conversation_facts(END, END + 1) == [
        ConversationFacts(
            "after", END, "unknown", False, "waiting", None, None, None, None, None, None, 0, 0
        )
    ]


async def test_invitations_are_counted_by_when_they_were_sent(store: Any) -> None:
    sent: list[tuple[float, Outcome]] = [
        (START, "accepted"),
        (START + 1, "declined"),
        (END - 1, "pending"),
        (END, "accepted"),
    ]
    for n, (at, outcome) in enumerate(sent):
        await store.add_invitation(InvitationRecord(f"i{n}", "v1", "Hi", at, outcome=outcome))
    assert await store.invitation_counts(START, END) == (3, 1)
    assert await store.invitation_counts(0.0, 1.0) == (0, 0)


async def test_visitors_and_orders_are_grouped_by_device_and_assistance(store: Any) -> None:
    def view(visitor: str, at: float, device: str) -> PageView:
        return PageView(visitor, at, "https://s/", device=device)

    await store.record_visits(
        [
            view("phone-new", START + 10, "phone"),
            view("phone-chat", START - 50_000, "phone"),  # seen before, and again inside
            view("phone-chat", START + 20, "phone"),
            view("desk-old", START - 10, "desktop"),  # last seen before the range
            view("desk-1", END - 1, "desktop"),
            view("desk-2", START + 30, "desktop"),
            view("tablet-later", END, "tablet"),  # first seen at the end: outside
        ],
        GAP,
    )
    await store.link_conversation("phone-chat", "c1", START + 25)
    await store.link_conversation("desk-2", "c2", END + 5)  # assisted only after the range

    def order(
        oid: str, visitor: str, value: str, currency: str, device: str, assisted: bool, at: float
    ) -> ConversionRecord:
        return ConversionRecord(oid, visitor, value, currency, device, assisted, at)

    for record in [
        order("o1", "phone-chat", "10.10", "EUR", "phone", True, START + 30),
        order("o2", "phone-chat", "5.05", "EUR", "phone", True, START + 40),
        order("o3", "phone-chat", "7.00", "USD", "phone", True, START + 50),
        order("o4", "desk-1", "0.10", "EUR", "desktop", False, END - 1),
        order("o5", "desk-1", "0.20", "EUR", "desktop", False, START + 1),
        order("o6", "desk-2", "99.99", "EUR", "desktop", False, END),  # after the range
    ]:
        assert await store.add_conversion(record)

    assert await store.visitor_groups(START, END) == [
        VisitorGroup("desktop", False, 2, 1),
        VisitorGroup("phone", False, 1, 0),
        VisitorGroup("phone", True, 1, 1),
    ]
    assert await store.order_groups(START, END) == [
        OrderGroup("desktop", False, "EUR", 2, 30),
        OrderGroup("phone", True, "EUR", 2, 1515),
        OrderGroup("phone", True, "USD", 1, 700),
    ]
    assert await store.visitor_groups(0.0, 1.0) == []
    assert await store.order_groups(0.0, 1.0) == []
