"""Issuing and redeeming phone PINs: the rules of pins.py applied to the store and the journal.

Everything that must hold across processes lives in the store: the PIN itself (claimed by one
atomic conditional update, so of two shoppers typing it at once exactly one gets in) and the
attempt counters that lock out guessers. A redemption is counted against the client *before*
the PIN is tried and forgiven when it succeeds, so concurrent guesses cannot all slip under the
limit, while an agent redeeming many shoppers' PINs in a row is never locked out by successes.
"""

from __future__ import annotations

from dataclasses import dataclass

from covisor.conversations.journal import Journal
from covisor.conversations.quotas import AttemptLimit, Quotas
from covisor.conversations.service import ConversationService
from covisor.kernel import commands as c
from covisor.kernel.addresses import address_key
from covisor.kernel.clock import Clock, TokenSource
from covisor.kernel.errors import CovisorError
from covisor.kernel.identity import GrantSigner, Identity
from covisor.phone.pins import (
    DigitSource,
    IssuedPin,
    PinRules,
    agent_key,
    conversation_key,
    pin_digest,
    redeemer_for,
    too_many_attempts,
    wrong_pin,
)
from covisor.store import Store, SummaryRecord
from covisor.store.records import Pin, Redeemer

_DRAWS = 20
"""Fresh digits tried before giving up when the drawn ones belong to a live PIN. With even half
of all PINs live, twenty collisions in a row happen once in a million issues."""


@dataclass(frozen=True)
class CallerPass:
    """What a caller gets for the agent's PIN: a `caller` token for that one conversation."""

    conversation_id: str
    token: str
    expires_at: float
    member: dict[str, str]


class PinService:
    """Issues PINs for members of a conversation and redeems them for callers and agents."""

    def __init__(
        self,
        store: Store,
        journal: Journal,
        conversations: ConversationService,
        signer: GrantSigner,
        *,
        key: bytes,
        rules: PinRules,
        per_client: AttemptLimit,
        per_conversation: AttemptLimit,
        quotas: Quotas,
        issues_per_client: AttemptLimit,
        caller_token_ttl: float,
        digits: DigitSource,
        clock: Clock,
        tokens: TokenSource,
    ) -> None:
        self._store = store
        self._journal = journal
        self._conversations = conversations
        self._signer = signer
        self._key = key
        self.rules = rules
        self._per_client = per_client
        self._per_conversation = per_conversation
        self._quotas = quotas
        self._issues_per_client = issues_per_client
        self._caller_token_ttl = caller_token_ttl
        self._digits = digits
        self._clock = clock
        self._tokens = tokens

    async def issue(self, issuer: Identity, conversation_id: str, client: str | None) -> IssuedPin:
        """A new PIN for a member's conversation, revoking the one issued before it.

        The agent's PIN lets a caller join; the shopper's PIN lets an agent take the
        conversation. Non-members get `forbidden`, closed conversations `conflict`. Issuing is
        limited per client: an agent by identity, a shopper by address `client`.
        """
        record = await self._conversations.summary(issuer, conversation_id)
        redeemer = redeemer_for(issuer, record.summary)
        issuer_key = agent_key(issuer) if issuer.is_agent else address_key(client)
        await self._quotas.spend("issue:" + issuer_key, self._issues_per_client, "PINs issued")
        return await self._issue(conversation_id, redeemer, issuer.id)

    async def issue_for_call(
        self, agent: Identity, name: str, *, override: bool = False
    ) -> tuple[str, IssuedPin]:
        """A new conversation, already the agent's, and a PIN for the caller to join it;
        `at_capacity` unless `override` (`ConversationService.ensure_room`)."""
        await self._conversations.ensure_room(agent, override=override)
        await self._quotas.spend(
            "issue:" + agent_key(agent), self._issues_per_client, "PINs issued"
        )
        conversation_id = await self._conversations.open_for_agent(agent, name)
        return conversation_id, await self._issue(conversation_id, "caller", agent.id)

    async def admit_caller(
        self, typed: str, name: str, client: str | None, *, visitor_id: str | None = None
    ) -> CallerPass:
        """Redeem an agent's PIN from the client address `client`: the caller joins its
        conversation (a sequenced `member.joined`) and gets a token for it; the widget's
        `visitor_id` (live visitors) is tied to the call."""
        pin = await self._redeem(typed, "caller", address_key(client))
        caller = Identity("p_" + self._tokens(9), "caller", name, pin.conversation_id)
        await self._journal.submit(caller, c.AdmitCaller(conversation_id=pin.conversation_id))
        if visitor_id is not None:
            await self._conversations.link_visitor(visitor_id, pin.conversation_id)
        token, expires_at = self._signer.issue(caller, self._caller_token_ttl)
        return CallerPass(pin.conversation_id, token, expires_at, caller.public())

    async def link_agent(
        self, typed: str, agent: Identity, *, override: bool = False
    ) -> SummaryRecord:
        """Redeem a shopper's PIN: the agent takes the conversation as if accepting it from the
        queue (`conflict` if another agent already has it, `at_capacity` unless `override`,
        checked before the PIN is spent). Returns the conversation summary."""
        await self._conversations.ensure_room(agent, override=override)
        pin = await self._redeem(typed, "agent", agent_key(agent))
        return await self._conversations.accept(agent, pin.conversation_id, override=True)

    async def _issue(self, conversation_id: str, redeemer: Redeemer, issuer_id: str) -> IssuedPin:
        for _ in range(_DRAWS):
            digits = self.rules.draw(self._digits)
            now = self._clock()
            pin = Pin(
                pin_digest(self._key, digits),
                conversation_id,
                redeemer,
                issuer_id,
                now,
                self.rules.expires_at(now),
            )
            if await self._store.add_pin(pin):
                return IssuedPin(digits, pin.expires_at)
        raise CovisorError("unavailable", "no free PIN right now; try again in a moment")

    async def _redeem(self, typed: str, redeemer: Redeemer, client_key: str) -> Pin:
        digits = self.rules.normalise(typed)
        store, now, limit = self._store, self._clock(), self._per_client
        counted = await store.count_attempt(client_key, now, limit.reset_before(now))
        wait = limit.wait(counted, now, counted=True)
        if wait is not None:
            raise too_many_attempts(wait)
        claimed = await self._claim(pin_digest(self._key, digits), redeemer, now)
        await store.forgive_attempt(client_key)
        return claimed

    async def _claim(self, digest: str, redeemer: Redeemer, now: float) -> Pin:
        """Claim the PIN, minding its conversation's lock.

        Only a failure whose digits belong to a stored PIN (used, expired, or meant for the
        other side) can be attributed to a conversation; digits that match nothing are
        counted against the client alone.
        """
        store, limit = self._store, self._per_conversation
        found = await store.pin(digest)
        if found is None:
            raise wrong_pin()
        key = conversation_key(found.conversation_id)
        wait = limit.wait(await store.attempts(key), now, counted=False)
        if wait is not None:
            raise too_many_attempts(wait)
        claimed = await store.claim_pin(digest, redeemer, now)
        if claimed is None:
            await store.count_attempt(key, now, limit.reset_before(now))
            raise wrong_pin()
        return claimed
