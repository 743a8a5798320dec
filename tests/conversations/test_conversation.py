"""The pure conversation domain: decide and apply, without a server."""

from __future__ import annotations

import msgspec
import pytest

from covisor.app.options import conversation_limits
from covisor.config import Config
from covisor.conversations.conversation import ConversationState, decide, draw
from covisor.kernel import commands as c
from covisor.kernel.errors import CovisorError
from covisor.kernel.events import Draft, Event, Existing
from covisor.kernel.identity import Identity

LIMITS = conversation_limits(Config())
SHOPPER = Identity("s1", "customer", "Sam", "c1")
AGENT = Identity("a1", "agent", "Ann")
OTHER_AGENT = Identity("a2", "agent", "Bob")


def run(
    state: ConversationState, actor: Identity, command: c.Command, now: float = 1000.0
) -> Event:
    draft = decide(state, actor, command, now, LIMITS)
    assert isinstance(draft, Draft)
    event = Event(state.id, state.seq + 1, draft.type, now, actor.public(), draft.data)
    state.apply(event, LIMITS)
    return event


def active() -> ConversationState:
    state = ConversationState("c1")
    run(state, SHOPPER, c.Open(conversation_id="c1", name="Sam"))
    run(state, AGENT, c.Accept(conversation_id="c1"))
    return state


def test_accept_makes_agent_member_and_conversation_active() -> None:
    state = active()
    assert state.status == "active" and state.is_member(AGENT)
    assert not state.is_member(OTHER_AGENT)


def test_second_agent_accepting_is_a_conflict() -> None:
    with pytest.raises(CovisorError) as refused:
        decide(active(), OTHER_AGENT, c.Accept(conversation_id="c1"), 0, LIMITS)
    assert refused.value.code == "conflict"


def test_same_agent_accepting_again_is_idempotent() -> None:
    state = active()
    assert decide(state, AGENT, c.Accept(conversation_id="c1"), 0, LIMITS) == Existing(state.seq)


def test_shopper_of_another_conversation_is_not_a_member() -> None:
    intruder = Identity("s9", "customer", "Eve", "c2")
    with pytest.raises(CovisorError) as refused:
        decide(active(), intruder, c.ChatSend(conversation_id="c1", text="hi"), 0, LIMITS)
    assert refused.value.code == "forbidden"


def test_recent_messages_are_capped_but_seq_keeps_counting() -> None:
    state = active()
    for i in range(LIMITS.recent_messages + 5):
        run(state, SHOPPER, c.ChatSend(conversation_id="c1", text=f"m{i}"))
    assert len(state.messages) == LIMITS.recent_messages
    assert state.messages[-1].data["text"] == f"m{LIMITS.recent_messages + 4}"
    assert state.seq == 2 + LIMITS.recent_messages + 5


def test_closed_conversation_refuses_chat() -> None:
    state = active()
    run(state, AGENT, c.Close(conversation_id="c1"))
    with pytest.raises(CovisorError) as refused:
        decide(state, SHOPPER, c.ChatSend(conversation_id="c1", text="hi"), 0, LIMITS)
    assert refused.value.code == "conflict"


def test_a_line_drawn_until_the_close_can_still_end() -> None:
    state = active()
    image = {"source": "catalogue", "id": "i", "variant": "display_webp", "kind": "image"}
    run(state, AGENT, c.ShowProduct(conversation_id="c1", media=image))

    def begin(stroke_id: str) -> c.StrokeBegin:
        return c.StrokeBegin(
            conversation_id="c1",
            stroke_id=stroke_id,
            color="#000000",
            width=0.01,
            points=[(0.1, 0.1)],
        )

    run(state, SHOPPER, begin("s"))
    run(state, AGENT, c.Close(conversation_id="c1"))
    late = c.StrokePoints(conversation_id="c1", stroke_id="s", points=[(0.3, 0.3)])
    with pytest.raises(CovisorError) as refused:
        draw(state, SHOPPER, late, 0, LIMITS)
    assert refused.value.code == "conflict", "no more points once closed"
    end = c.StrokeEnd(conversation_id="c1", stroke_id="s")
    draft = decide(state, SHOPPER, end, 0, LIMITS, {"s": [(0.2, 0.2)]})
    assert isinstance(draft, Draft) and draft.data["points"] == [(0.1, 0.1), (0.2, 0.2)]
    with pytest.raises(CovisorError) as refused:
        decide(state, SHOPPER, begin("t"), 0, LIMITS)
    assert refused.value.code == "conflict", "nor a new stroke"


def test_read_marks_only_move_forward() -> None:
    state = active()
    run(state, SHOPPER, c.ChatSend(conversation_id="c1", text="hi"))
    run(state, AGENT, c.ChatRead(conversation_id="c1", seq=3))
    assert isinstance(
        decide(state, AGENT, c.ChatRead(conversation_id="c1", seq=2), 0, LIMITS), Existing
    )


def test_state_roundtrips_through_snapshot_encoding() -> None:
    state = active()
    run(state, SHOPPER, c.ChatSend(conversation_id="c1", text="hi", client_id="x1"))
    restored = msgspec.json.decode(msgspec.json.encode(state), type=ConversationState)
    assert restored == state


def test_apply_refuses_an_event_out_of_order() -> None:
    state = active()
    with pytest.raises(ValueError):
        state.apply(Event("c1", state.seq + 2, "stroke.clear", 0, AGENT.public(), {}), LIMITS)


def test_snapshot_lists_callers_admitted_by_pin() -> None:
    state = active()
    caller = Identity("k1", "caller", "Caller", "c1")
    joined = run(state, caller, c.AdmitCaller(conversation_id="c1"))
    assert state.snapshot()["callers"] == [{"id": "k1", "name": "Caller", "seq": joined.seq}]


def test_snapshot_agent_carries_the_seq_it_accepted_at() -> None:
    state = active()
    assert state.snapshot()["agent"] == {"id": "a1", "name": "Ann", "seq": 2}
