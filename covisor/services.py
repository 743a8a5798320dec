"""The parts of a running server, built once and shared by the HTTP and Socket.IO adapters."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from covisor import commands as c
from covisor.clock import Clock, TokenSource
from covisor.config import Config
from covisor.identity import (
    Authenticator,
    GrantSigner,
    Identity,
    agent_token_digest,
    new_agent_token,
)
from covisor.journal import Journal
from covisor.media_links import MediaLinks
from covisor.store import AgentRecord, Store


@dataclass
class Services:
    config: Config
    store: Store
    journal: Journal
    signer: GrantSigner
    auth: Authenticator
    clock: Clock
    tokens: TokenSource
    links: MediaLinks

    async def open_conversation(
        self, page: dict[str, str] | None, name: str
    ) -> tuple[str, str, float]:
        """Create a waiting conversation; return `(id, shopper token, token expiry ms)`."""
        conversation_id = "c_" + self.tokens(12)
        await self.store.create_conversation(conversation_id, self.clock())
        shopper = Identity("s_" + self.tokens(9), "customer", name, conversation_id)
        await self.journal.submit(
            shopper, c.Open(conversation_id=conversation_id, page=page, name=name)
        )
        token, expires_at = self.signer.issue(shopper, self.config.shopper_token_ttl)
        return conversation_id, token, expires_at


SERVICES = web.AppKey("services", Services)


async def add_agent(store: Store, name: str, tokens: TokenSource, clock: Clock) -> tuple[str, str]:
    """Create an agent; return `(agent id, token)`. Only the token's digest is stored."""
    token = new_agent_token(tokens)
    agent_id = "a_" + tokens(9)
    await store.add_agent(AgentRecord(agent_id, name, agent_token_digest(token), clock()))
    return agent_id, token
