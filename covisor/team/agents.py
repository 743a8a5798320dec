"""The team: agents and admins, their tokens, e-mail + password login, and the demo agent.

An agent speaks with a bearer token of which only a digest is stored (identity.py). It gets one
from `covisor agents add` (an `api` token, for scripts and the console) or by logging in with
its e-mail and password (a `login` token, one per console session, revoked by logging out or
by a password reset). Admins (`role` `admin`) invite agents, change their name, role,
capacity, disable them, and reset passwords; the team always keeps an enabled admin.

Logins are limited per client address and per e-mail with the store's counters (quotas.py):
an attempt is counted before the password is checked, so concurrent guesses cannot slip under
the limit, and forgiven when it succeeds. A wrong password and an unknown e-mail get the same
answer after the same work (passwords.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from covisor.conversations.quotas import AttemptLimit, Quotas
from covisor.kernel.addresses import address_key
from covisor.kernel.clock import Clock, TokenSource
from covisor.kernel.errors import CovisorError
from covisor.kernel.identity import Identity, agent_token_digest, new_agent_token
from covisor.store import AgentChanges, LastAdmin, Store
from covisor.store.records import DEFAULT_CAPACITY, AgentRecord, AgentRole
from covisor.team.passwords import generate_password, hash_password, verify_password

API = "api"
"""The label of tokens made by `covisor agents add`: logging out does not revoke them."""
LOGIN = "login"
"""The label of a console session's token, made by logging in."""
MAX_EMAIL = 254
MAX_CAPACITY = 100
DEMO_EMAIL = "demo@example.com"


@dataclass(frozen=True)
class LoginLimits:
    """Failed logins allowed per client address and per e-mail, each in its own window."""

    per_address: AttemptLimit
    per_account: AttemptLimit


@dataclass(frozen=True)
class DemoAgent:
    """How the operator logs in as the demo agent of a first start; shown once."""

    token: str
    email: str
    password: str


def normalise_email(text: str) -> str:
    """`text` as stored: trimmed, lower-cased; `bad_request` unless it looks like an e-mail
    (one `@` with something on each side, no blank or control character, at most 254
    characters)."""
    email = text.strip().lower()
    local, at, domain = email.partition("@")
    if (
        not at
        or not local
        or not domain
        or "@" in domain
        or len(email) > MAX_EMAIL
        or not email.isprintable()
        or any(ch.isspace() for ch in email)
    ):
        raise CovisorError("bad_request", "not an e-mail address")
    return email


def _wrong_login() -> CovisorError:
    return CovisorError("unauthorized", "wrong e-mail or password")


class Agents:
    """Creates agents, logs them in and out, and lets admins manage the team."""

    def __init__(
        self,
        store: Store,
        tokens: TokenSource,
        clock: Clock,
        *,
        quotas: Quotas,
        login_limits: LoginLimits,
        default_capacity: Callable[[], int] = lambda: DEFAULT_CAPACITY,
    ) -> None:
        """`default_capacity`: the capacity of an agent invited without one (the shop's
        settings' `capacity`), asked at each invitation."""
        self._default_capacity = default_capacity
        self._store = store
        self._tokens = tokens
        self._clock = clock
        self._quotas = quotas
        self._login_limits = login_limits

    async def add(
        self,
        name: str,
        *,
        email: str | None = None,
        password: str | None = None,
        role: AgentRole = "agent",
        capacity: int | None = None,
    ) -> tuple[str, str]:
        """Create an agent with an `api` token; return `(agent id, token)`. With `email`, it
        can also log in with `password`; `conflict` if another agent has that e-mail. Without
        `capacity`, the shop's (`default_capacity`)."""
        if capacity is None:
            capacity = self._default_capacity()
        token = new_agent_token(self._tokens)
        record = await self._new(
            name, email, password, role, capacity, token_digest=agent_token_digest(token)
        )
        return record.id, token

    async def add_demo(self) -> DemoAgent | None:
        """The demo admin of a first start (no agent yet): its token, e-mail and a fresh
        password; None when there are agents."""
        if await self._store.count_agents() > 0:
            return None
        password = generate_password()
        _, token = await self.add("Demo Agent", email=DEMO_EMAIL, password=password, role="admin")
        return DemoAgent(token, DEMO_EMAIL, password)

    async def _new(
        self,
        name: str,
        email: str | None,
        password: str | None,
        role: AgentRole,
        capacity: int,
        *,
        token_digest: str | None,
    ) -> AgentRecord:
        stored_email = normalise_email(email) if email is not None else None
        if password is not None and "\0" in password:
            raise CovisorError("bad_request", "a password has no NUL character")
        password_hash = await hash_password(password) if password is not None else None
        record = AgentRecord(
            "a_" + self._tokens(9),
            name,
            token_digest,
            self._clock(),
            email=stored_email,
            password_hash=password_hash,
            role=role,
            capacity=capacity,
        )
        if not await self._store.add_agent(record):
            raise CovisorError("conflict", "another agent has this e-mail")
        return record

    async def login(self, email: str, password: str, client: str | None) -> tuple[str, AgentRecord]:
        """A new `login` token for the agent with this e-mail and password, seen from client
        address `client`. Wrong password, unknown e-mail or disabled agent: the same
        `unauthorized`; too many
        failures from the address or for the e-mail: `rate_limited`."""
        account = email.strip().lower()[:MAX_EMAIL]
        keys = (
            ("login:" + address_key(client), self._login_limits.per_address),
            ("login:account:" + account, self._login_limits.per_account),
        )
        for key, limit in keys:
            await self._quotas.spend(key, limit, "login attempts")
        agent = await self._store.agent_by_email(account)
        stored = agent.password_hash if agent is not None else None
        # A disabled agent's right password gets the wrong password's answer: the answer must
        # not tell a guesser that the password was right.
        if not await verify_password(password, stored) or agent is None or agent.disabled:
            raise _wrong_login()
        for key, _ in keys:
            await self._store.forgive_attempt(key)
        token = new_agent_token(self._tokens)
        await self._store.add_agent_token(agent_token_digest(token), agent.id, self._clock(), LOGIN)
        return token, agent

    async def logout(self, agent: Identity, token: str) -> None:
        """End the console session of `token`; an `api` token is not revoked (the console
        forgets it, scripts keep it)."""
        _require_agent(agent)
        await self._store.revoke_agent_token(agent_token_digest(token), LOGIN)

    async def language(self, agent: Identity) -> str | None:
        """The language `agent` reads (None: not said)."""
        _require_agent(agent)
        record = await self._store.agent(agent.id)
        return None if record is None else record.language

    async def set_language(self, agent: Identity, language: str | None) -> None:
        """The language `agent` reads from now on, into which shoppers' messages are
        translated (None: none, nothing is translated for them)."""
        _require_agent(agent)
        if not await self._store.set_agent_language(agent.id, language):
            raise CovisorError("not_found", "no such agent")

    async def team(self, admin: Identity) -> list[AgentRecord]:
        """Every agent, oldest first; admins only."""
        _require_admin(admin)
        return await self._store.agents()

    async def invite(
        self,
        admin: Identity,
        name: str,
        email: str,
        role: AgentRole = "agent",
        capacity: int | None = None,
    ) -> tuple[AgentRecord, str]:
        """A new agent who logs in with `email` and the returned password (shown once); of
        the default capacity unless `capacity` is given."""
        _require_admin(admin)
        password = generate_password()
        if capacity is None:
            capacity = self._default_capacity()
        record = await self._new(name, email, password, role, capacity, token_digest=None)
        return record, password

    async def update(self, admin: Identity, agent_id: str, changes: AgentChanges) -> AgentRecord:
        """Change an agent's name, role, capacity or whether it is disabled; `conflict` when
        that would leave no enabled admin, `not_found` for an unknown agent."""
        _require_admin(admin)
        try:
            updated = await self._store.update_agent(agent_id, changes)
        except LastAdmin:
            raise CovisorError(
                "conflict", "the team needs an enabled admin: make another admin first"
            ) from None
        if updated is None:
            raise CovisorError("not_found", "no such agent")
        return updated

    async def reset_password(self, admin: Identity, agent_id: str) -> str:
        """A new generated password for the agent (shown once); its console sessions end."""
        _require_admin(admin)
        password = generate_password()
        changed = await self._store.update_agent(
            agent_id, AgentChanges(password_hash=await hash_password(password))
        )
        if changed is None:
            raise CovisorError("not_found", "no such agent")
        await self._store.revoke_agent_tokens(agent_id, LOGIN)
        return password


def _require_agent(identity: Identity) -> None:
    if not identity.is_agent:
        raise CovisorError("forbidden", "agents only")


def _require_admin(identity: Identity) -> None:
    if not identity.admin:
        raise CovisorError("forbidden", "admins only")
