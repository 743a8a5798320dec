"""Who a bearer token speaks for: an agent's token looked up by its digest, or a shopper's signed
grant verified with the server secret alone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from covisor.kernel.errors import CovisorError
from covisor.kernel.identity import AGENT_PREFIX, GrantSigner, Identity, agent_token_digest
from covisor.store.records import AgentRecord

AgentLookup = Callable[[str], Awaitable[AgentRecord | None]]


def agent_identity(agent: AgentRecord) -> Identity:
    """Who a stored agent is when it speaks."""
    return Identity(agent.id, "agent", agent.name, admin=agent.is_admin, email=agent.email)


class Authenticator:
    """Turns a bearer token into an `Identity`, or refuses with `unauthorized`."""

    def __init__(self, signer: GrantSigner, find_agent: AgentLookup) -> None:
        self._signer = signer
        self._find_agent = find_agent

    async def identify(self, token: object) -> Identity:
        if not isinstance(token, str) or not token:
            raise CovisorError("unauthorized", "a token is required")
        if token.startswith(AGENT_PREFIX):
            agent = await self._find_agent(agent_token_digest(token))
            if agent is None:
                raise CovisorError("unauthorized", "unknown agent token")
            if agent.disabled:
                raise CovisorError("unauthorized", "this agent is disabled")
            return agent_identity(agent)
        return self._signer.verify(token)
