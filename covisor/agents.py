"""The agents of a deployment: creating them, and the demo agent of a first start."""

from __future__ import annotations

from covisor.clock import Clock, TokenSource
from covisor.identity import AgentRecord, agent_token_digest, new_agent_token
from covisor.store import Store


class Agents:
    """Creates agents. Only a token's digest is stored; the token is shown once, to its owner."""

    def __init__(self, store: Store, tokens: TokenSource, clock: Clock) -> None:
        self._store = store
        self._tokens = tokens
        self._clock = clock

    async def add(self, name: str) -> tuple[str, str]:
        """Create an agent; return `(agent id, token)`."""
        token = new_agent_token(self._tokens)
        agent_id = "a_" + self._tokens(9)
        await self._store.add_agent(
            AgentRecord(agent_id, name, agent_token_digest(token), self._clock())
        )
        return agent_id, token

    async def add_demo(self) -> str | None:
        """The demo agent's token on a first start (no agent yet); None when there are agents."""
        if await self._store.count_agents() > 0:
            return None
        _, token = await self.add("Demo Agent")
        return token
