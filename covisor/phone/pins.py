"""Phone PINs: a short code, read out over the phone, that puts caller and agent in one session.

A PIN is `length` random digits (6 by default), shown grouped by three ("482 913"), valid for
`ttl` seconds (600), used at most once. Who issued it decides who may redeem it:

- an agent's PIN is typed in by the shopper on the phone, who joins as a `caller`;
- a shopper's PIN ("I'm on the phone") is typed in by the agent, who then takes the conversation.

The store keeps only `pin_digest(key, digits)`, an HMAC under a server secret, so a copy of the
PIN table alone does not give a usable PIN. Redeeming is limited by `quotas.AttemptLimit`
(fixed windows whose counters live in the store, shared by every process).

Everything here is pure: no store, no HTTP; time comes in as `now` (ms since the epoch) and
randomness as a `DigitSource`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from covisor.kernel.errors import CovisorError
from covisor.kernel.identity import Identity
from covisor.store.records import Redeemer

DigitSource = Callable[[int], str]
"""Returns `n` uniformly random decimal digits."""

_SEPARATORS = re.compile(r"[\s\-.]+")


def system_digits(n: int) -> str:
    return f"{secrets.randbelow(10**n):0{n}d}"


@dataclass(frozen=True)
class IssuedPin:
    """What the issuer is told: the digits (shown once, never stored) and when they expire."""

    digits: str
    expires_at: float

    @property
    def display(self) -> str:
        return display(self.digits)

    def to_wire(self) -> dict[str, Any]:
        return {"pin": self.digits, "display": self.display, "expires_at": self.expires_at}


MIN_LENGTH = 4
MAX_LENGTH = 9
"""Nine digits at most: the PIN field of the clients takes "ddd ddd ddd"."""


@dataclass(frozen=True)
class PinRules:
    """How long a PIN is and how long it lives (the config's `pin_length`, `pin_ttl`)."""

    length: int
    ttl: float

    def __post_init__(self) -> None:
        if not MIN_LENGTH <= self.length <= MAX_LENGTH:
            raise ValueError(f"a PIN has {MIN_LENGTH} to {MAX_LENGTH} digits")
        if self.ttl <= 0:
            raise ValueError("a PIN must live for some time")

    def draw(self, digits: DigitSource) -> str:
        drawn = digits(self.length)
        if len(drawn) != self.length or not drawn.isascii() or not drawn.isdigit():
            raise ValueError(f"digit source returned {drawn!r}, not {self.length} digits")
        return drawn

    def expires_at(self, now: float) -> float:
        return now + self.ttl * 1000.0

    def normalise(self, typed: str) -> str:
        """The digits of a PIN as typed ("482 913", "482-913"), or `bad_request` if not a PIN.

        Telling the caller that the *shape* is wrong gives nothing away: the length is public.
        """
        digits = _SEPARATORS.sub("", typed)
        if len(digits) != self.length or not digits.isascii() or not digits.isdigit():
            raise CovisorError("bad_request", f"a PIN is {self.length} digits")
        return digits


def display(digits: str) -> str:
    """Grouped by three for reading aloud: "482913" → "482 913" (as client/shared/pin.js does)."""
    return re.sub(r"(\d{3})(?=\d)", r"\1 ", digits)


def pin_digest(key: bytes, digits: str) -> str:
    """The stored form of a PIN: HMAC-SHA256 under the server's PIN secret, hex.

    Looking a PIN up by this digest is timing-safe without a byte-wise comparison of our own: a
    guesser chooses digits, not digests, and cannot steer the digest of a guess without the key,
    so how long the index takes to reject it says nothing about the digits of any stored PIN.
    """
    return hmac.new(key, digits.encode("ascii"), hashlib.sha256).hexdigest()


def redeemer_for(issuer: Identity, summary: Mapping[str, Any]) -> Redeemer:
    """Who may redeem a PIN that `issuer` asks for, given the conversation's summary.

    The agent of a conversation issues PINs for callers. The shopper issues a PIN for an agent
    only while no agent has the conversation: once one has, it is already linked. A caller who
    came in by PIN cannot issue one, and nobody can for a closed conversation.
    """
    if summary.get("status") == "closed":
        raise CovisorError("conflict", "this conversation is closed")
    if issuer.is_agent:
        return "caller"
    if issuer.role != "customer":
        raise CovisorError("forbidden", "only the shopper or the agent can ask for a PIN")
    if summary.get("agent_id") is not None:
        raise CovisorError("conflict", f"{summary.get('agent_name')} already has this conversation")
    return "agent"


def wrong_pin() -> CovisorError:
    """The one answer for a PIN that is wrong, expired, used, revoked or meant for the other side.

    Identical status and body in every case, so answers do not tell which PINs exist.
    """
    return CovisorError("not_found", "this PIN is not valid; ask for a new one")


def too_many_attempts(wait: float) -> CovisorError:
    return CovisorError("rate_limited", "too many PIN attempts; try again later", retry_after=wait)


def agent_key(agent: Identity) -> str:
    """Agents are limited per agent, not per address: a call centre shares one address."""
    return f"agent:{agent.id}"


def conversation_key(conversation_id: str) -> str:
    return f"conversation:{conversation_id}"
