"""The pure PIN rules and attempt policy, and caller admission in the conversation domain."""

from __future__ import annotations

from typing import Any

import pytest

from covisor.app.options import conversation_limits
from covisor.config import Config
from covisor.conversations.conversation import ConversationState, decide
from covisor.conversations.quotas import AttemptLimit
from covisor.kernel import commands as c
from covisor.kernel.addresses import address_key
from covisor.kernel.errors import CovisorError
from covisor.kernel.events import Draft, Event, Existing
from covisor.kernel.identity import Identity
from covisor.phone.pins import (
    IssuedPin,
    PinRules,
    display,
    pin_digest,
    redeemer_for,
    system_digits,
    wrong_pin,
)
from covisor.store.records import Attempts

AGENT = Identity("a1", "agent", "Ann")
SHOPPER = Identity("s1", "customer", "Sam", "c1")
CALLER = Identity("p1", "caller", "Caller", "c1")
WAITING = {"id": "c1", "status": "waiting", "agent_id": None, "agent_name": None}
ACTIVE = {"id": "c1", "status": "active", "agent_id": "a1", "agent_name": "Ann"}
LIMIT = AttemptLimit(limit=3, window=60.0)
T0 = 1_000_000.0

LIMITS = conversation_limits(Config())
RULES = PinRules(6, 600.0)


def test_pin_is_shown_grouped_by_three() -> None:
    assert display("482913") == "482 913"
    assert display("4829") == "482 9"
    assert display("48291357") == "482 913 57"


def test_issued_pin_goes_out_with_digits_display_and_expiry() -> None:
    assert IssuedPin("048213", 5.0).to_wire() == {
        "pin": "048213",
        "display": "048 213",
        "expires_at": 5.0,
    }


@pytest.mark.parametrize("typed", ["482913", "482 913", "482-913", " 482.913 "])
def test_typed_pin_is_normalised_to_its_digits(typed: str) -> None:
    assert RULES.normalise(typed) == "482913"


@pytest.mark.parametrize("typed", ["", "48291", "4829131", "48a913", "４８２９１３"])
def test_what_is_not_a_pin_is_a_bad_request(typed: str) -> None:
    with pytest.raises(CovisorError) as refused:
        RULES.normalise(typed)
    assert refused.value.code == "bad_request" and "6 digits" in refused.value.message


def test_drawn_pin_has_the_configured_length() -> None:
    assert PinRules(8, 600.0).draw(lambda n: "0" * n) == "00000000"
    drawn = RULES.draw(system_digits)
    assert len(drawn) == 6 and drawn.isdigit()


def test_digit_source_returning_something_else_is_a_bug() -> None:
    with pytest.raises(ValueError):
        RULES.draw(lambda n: "12345")


def test_pin_lengths_outside_four_to_nine_are_refused() -> None:
    for length in (3, 10):
        with pytest.raises(ValueError):
            PinRules(length, 600.0)


def test_pin_expires_ttl_after_issue() -> None:
    assert RULES.expires_at(T0) == T0 + 600_000.0


def test_digest_depends_on_key_and_digits_and_hides_them() -> None:
    digest = pin_digest(b"k" * 32, "482913")
    assert digest == pin_digest(b"k" * 32, "482913")
    assert digest != pin_digest(b"j" * 32, "482913")
    assert digest != pin_digest(b"k" * 32, "482914")
    assert len(digest) == 64 and "482913" not in digest


def test_agent_pin_is_for_a_caller() -> None:
    assert redeemer_for(AGENT, ACTIVE) == "caller"


def test_shopper_pin_is_for_an_agent() -> None:
    assert redeemer_for(SHOPPER, WAITING) == "agent"


def test_shopper_who_has_an_agent_gets_no_pin() -> None:
    with pytest.raises(CovisorError) as refused:
        redeemer_for(SHOPPER, ACTIVE)
    assert refused.value.code == "conflict" and "Ann" in refused.value.message


def test_caller_gets_no_pin() -> None:
    with pytest.raises(CovisorError) as refused:
        redeemer_for(CALLER, ACTIVE)
    assert refused.value.code == "forbidden"


def test_closed_conversation_gets_no_pin() -> None:
    with pytest.raises(CovisorError) as refused:
        redeemer_for(AGENT, {**ACTIVE, "status": "closed"})
    assert refused.value.code == "conflict"


def test_wrong_pin_answer_is_always_the_same() -> None:
    assert wrong_pin().to_dict() == wrong_pin().to_dict()
    assert wrong_pin().http_status == 404


def test_attempts_up_to_the_limit_go_ahead() -> None:
    assert LIMIT.wait(None, T0, counted=True) is None
    assert LIMIT.wait(Attempts(3, T0), T0, counted=True) is None
    assert LIMIT.wait(Attempts(2, T0), T0, counted=False) is None


def test_attempt_over_the_limit_waits_for_the_window_to_end() -> None:
    assert LIMIT.wait(Attempts(4, T0), T0 + 15_000, counted=True) == 45.0
    assert LIMIT.wait(Attempts(3, T0), T0 + 59_000, counted=False) == 1.0


def test_spent_window_forgives_everything() -> None:
    assert LIMIT.wait(Attempts(100, T0), T0 + 60_000, counted=True) is None
    assert LIMIT.reset_before(T0 + 60_000) == T0


def test_ipv4_clients_are_limited_per_address() -> None:
    assert address_key("192.0.2.7") == "address:192.0.2.7"
    assert address_key("192.0.2.7") != address_key("192.0.2.8")
    assert address_key("::ffff:192.0.2.7") == "address:192.0.2.7"


def test_ipv6_clients_are_limited_per_64() -> None:
    assert address_key("2001:db8:1:2::1") == address_key("2001:db8:1:2:ffff::9")
    assert address_key("2001:db8:1:2::1") != address_key("2001:db8:1:3::1")
    assert address_key("2001:db8:1:2::1") == "address:2001:db8:1:2::/64"


def test_unknown_client_address_shares_one_key() -> None:
    assert address_key(None) == address_key("") == "address:unknown"


def _active_conversation() -> ConversationState:
    state = ConversationState("c1")
    history: list[tuple[str, Identity, dict[str, Any]]] = [
        ("conversation.opened", SHOPPER, {"page": None, "name": "Sam"}),
        ("conversation.accepted", AGENT, {"agent": {"id": "a1", "name": "Ann"}}),
    ]
    for seq, (type_, actor, data) in enumerate(history, start=1):
        state.apply(Event("c1", seq, type_, T0, actor.public(), data), LIMITS)
    return state


def test_admitted_caller_joins_as_a_sequenced_member() -> None:
    state = _active_conversation()
    draft = decide(state, CALLER, c.AdmitCaller(conversation_id="c1"), T0, LIMITS)
    assert draft == Draft("member.joined", {"member": CALLER.public()})
    state.apply(Event("c1", 3, draft.type, T0, CALLER.public(), draft.data), LIMITS)
    assert state.callers == {"p1": {"id": "p1", "name": "Caller", "seq": 3}}
    again = decide(state, CALLER, c.AdmitCaller(conversation_id="c1"), T0, LIMITS)
    assert again == Existing(3)


def test_only_callers_are_admitted() -> None:
    state = _active_conversation()
    with pytest.raises(CovisorError) as refused:
        decide(state, SHOPPER, c.AdmitCaller(conversation_id="c1"), T0, LIMITS)
    assert refused.value.code == "forbidden"


def test_admitting_is_not_a_client_event() -> None:
    assert c.AdmitCaller not in c.BY_EVENT.values()
