"""Who is speaking: agents with stored tokens, shoppers with signed conversation grants.

Agent tokens are random secrets of which only a SHA-256 digest is stored; an agent may have
several (an `api` token from `covisor agents add`, one `login` token per console session), and a
disabled agent's tokens are refused. A shopper (role `customer`, or `caller` when they came in
by phone PIN) gets a signed, expiring token that names exactly one conversation; verifying it
needs only the server secret, so any process sharing the store can check it without a lookup.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal

import msgspec

from covisor.kernel.clock import Clock, TokenSource
from covisor.kernel.errors import CovisorError

Role = Literal["agent", "customer", "caller", "visitor"]
AGENT_PREFIX = "a."
GRANT_PREFIX = "g."


@dataclass(frozen=True)
class Identity:
    """An authenticated party. `conversation_id` is set for shoppers, whose grant is that one."""

    id: str
    role: Role
    name: str
    conversation_id: str | None = None
    admin: bool = False
    """An agent of role `admin`."""
    email: str | None = None
    """An agent's login e-mail, if it has one."""

    @property
    def is_agent(self) -> bool:
        return self.role == "agent"

    def public(self) -> dict[str, str]:
        """What other members see of this party."""
        return {"id": self.id, "role": self.role, "name": self.name}


class _Grant(msgspec.Struct, frozen=True):
    sub: str
    role: str
    cid: str
    name: str
    exp: float


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_agent_token(tokens: TokenSource) -> str:
    return AGENT_PREFIX + tokens(32)


def agent_token_digest(token: str) -> str:
    """The stored form of an agent token: knowing the store does not give the token."""
    return hashlib.sha256(token.encode()).hexdigest()


class GrantSigner:
    """Issues and verifies shopper grants with HMAC-SHA256 over a server secret."""

    def __init__(self, secret: bytes, clock: Clock) -> None:
        self._secret = secret
        self._clock = clock

    def issue(self, identity: Identity, ttl_seconds: float) -> tuple[str, float]:
        """Return `(token, expires_at_ms)` for a shopper identity."""
        if identity.is_agent or (identity.conversation_id is None) != (identity.role == "visitor"):
            raise ValueError("grants are for shoppers of one conversation, or visitors")
        expires_at = self._clock() + ttl_seconds * 1000.0
        grant = _Grant(
            identity.id, identity.role, identity.conversation_id or "", identity.name, expires_at
        )
        body = _b64(msgspec.json.encode(grant))
        return f"{GRANT_PREFIX}{body}.{self._sign(body)}", expires_at

    def verify(self, token: str) -> Identity:
        """The identity a grant names, or `unauthorized` if forged, mangled or expired."""
        try:
            body, signature = token[len(GRANT_PREFIX) :].split(".", 1)
        except ValueError:
            raise CovisorError("unauthorized", "malformed token") from None
        # Bytes, not str: compare_digest raises on a non-ASCII str, and any byte differing
        # must refuse.
        if not token.startswith(GRANT_PREFIX) or not hmac.compare_digest(
            signature.encode(), self._sign(body).encode()
        ):
            raise CovisorError("unauthorized", "invalid token")
        try:
            grant = msgspec.json.decode(_unb64(body), type=_Grant)
        except (ValueError, msgspec.DecodeError):
            raise CovisorError("unauthorized", "malformed token") from None
        if grant.exp <= self._clock():
            raise CovisorError("unauthorized", "token expired")
        if grant.role == "visitor":
            return Identity(grant.sub, "visitor", grant.name)
        if grant.role not in ("customer", "caller"):
            raise CovisorError("unauthorized", "invalid token")
        role: Role = "caller" if grant.role == "caller" else "customer"
        return Identity(grant.sub, role, grant.name, grant.cid)

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._secret, body.encode(), hashlib.sha256).digest())
