"""Proactive invitations: an agent, an admin's rule or the shop's JS asks a visitor to chat.

A rule's `conditions` (all optional, all must hold):
- `url`: a shell-style pattern of the page URL (`*/boots/*`), case-insensitive;
- `seconds`: at least this long on the page (the rule waits for it);
- `pages`: at least this many pages seen in the visit;
- `devices`: the visitor's device class is one of these;
- `visitor`: `new` or `returning`;
- `trigger`: the shop's page called `covisor.trigger(name)` with this name.
Its `messages` map a language (`en`, `es`…) to the text; the visitor's language picks one, else
English, else the first. A rule fires only while an agent is online with room, and a visitor
gets at most one invitation from rules or the shop's JS per `cooldown` (an agent's own
invitation is the agent's call). Accepting opens a conversation already the inviting agent's,
whose first message is the invitation's; declining is recorded.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec

from covisor.conversations.journal import Journal
from covisor.conversations.service import ConversationService
from covisor.kernel import commands as c
from covisor.kernel.clock import Clock, TokenSource
from covisor.kernel.errors import CovisorError
from covisor.kernel.identity import Identity
from covisor.store import Store
from covisor.store.records import InvitationRecord, RuleRecord, VisitorRecord
from covisor.team.roster import Roster, pick
from covisor.visitors.tracking import Tracking

log = logging.getLogger(__name__)

RULES_MS = 5000.0
"""How long the rules read from the store are used before they are read again (a change made
on another process reaches this one within it)."""

Device = Literal["phone", "tablet", "desktop"]
Message = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=c.NOT_BLANK)]
Language = Annotated[str, msgspec.Meta(pattern=r"^[a-z]{2,3}\Z")]


class Conditions(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    url: Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=c.NOT_BLANK)] | None = (
        None
    )
    seconds: Annotated[int, msgspec.Meta(ge=0, le=86_400)] | None = None
    pages: Annotated[int, msgspec.Meta(ge=1, le=1000)] | None = None
    devices: list[Device] | None = None
    visitor: Literal["new", "returning"] | None = None
    trigger: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.:-]{1,64}\Z")] | None = None


class RuleBody(msgspec.Struct, forbid_unknown_fields=True):
    """What an admin sends to create or replace a rule."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=80, pattern=c.NOT_BLANK)]
    messages: Annotated[dict[Language, Message], msgspec.Meta(min_length=1, max_length=20)]
    conditions: Conditions = msgspec.field(default_factory=Conditions)
    enabled: bool = True


@dataclass(frozen=True)
class OnPage:
    """A visitor on a page, as a rule looks at it."""

    visitor: VisitorRecord
    url: str
    pages: int
    seconds: float
    trigger: str | None = None


def matches(conditions: Conditions, seen: OnPage) -> bool:
    """Whether every condition holds for the visitor `seen.seconds` into its page (a rule
    with a `trigger` only when the page fired that trigger, and only such a rule then)."""
    if conditions.url and not fnmatch.fnmatch(seen.url.lower(), conditions.url.lower()):
        return False
    if conditions.pages and seen.pages < conditions.pages:
        return False
    if conditions.devices and seen.visitor.device not in conditions.devices:
        return False
    if conditions.visitor and (conditions.visitor == "returning") != seen.visitor.returning:
        return False
    if conditions.trigger != seen.trigger:
        return False
    return seen.seconds >= (conditions.seconds or 0)


def message_for(messages: dict[str, str], language: str | None) -> str:
    """The rule's text in the visitor's language (its primary subtag), else English, else the
    first one written."""
    wanted = (language or "").split("-")[0].lower()
    return messages.get(wanted) or messages.get("en") or next(iter(messages.values()))


def rule_wire(rule: RuleRecord) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "enabled": rule.enabled,
        "conditions": rule.conditions,
        "messages": rule.messages,
        "created_at": rule.created_at,
        "updated_at": rule.updated_at,
    }


def invitation_wire(invitation: InvitationRecord) -> dict[str, Any]:
    """An invitation as its visitor's widget and agents see it."""
    agent = (
        {"id": invitation.agent_id, "name": invitation.agent_name} if invitation.agent_id else None
    )
    return {
        "id": invitation.id,
        "visitor_id": invitation.visitor_id,
        "message": invitation.message,
        "agent": agent,
        "created_at": invitation.created_at,
        "outcome": invitation.outcome,
        "conversation_id": invitation.conversation_id,
    }


class Invitations:
    def __init__(
        self,
        store: Store,
        roster: Roster,
        journal: Journal,
        conversations: ConversationService,
        tracking: Tracking,
        clock: Clock,
        tokens: TokenSource,
        *,
        cooldown: Callable[[], float],
    ) -> None:
        """`cooldown`: the seconds of the shop's settings' invitation cooldown, asked at each
        invitation (so a change takes effect at once)."""
        self._store = store
        self._roster = roster
        self._journal = journal
        self._conversations = conversations
        self._tracking = tracking
        self._clock = clock
        self._tokens = tokens
        self._cooldown = cooldown
        self._rules: tuple[float, list[RuleRecord]] | None = None

    async def rules(self) -> list[RuleRecord]:
        """Every rule, as stored at most `RULES_MS` ago (they are read on every page view)."""
        now = self._clock()
        if self._rules is None or now - self._rules[0] >= RULES_MS:
            self._rules = (now, await self._store.invitation_rules())
        return self._rules[1]

    async def put_rule(self, rule_id: str | None, body: RuleBody) -> RuleRecord:
        now = self._clock()
        known = {r.id: r for r in await self._store.invitation_rules()}
        if rule_id is not None and rule_id not in known:
            raise CovisorError("not_found", "no such rule")
        created = known[rule_id].created_at if rule_id else now
        rule = RuleRecord(
            rule_id or "r_" + self._tokens(9),
            body.name.strip(),
            body.enabled,
            msgspec.to_builtins(body.conditions),
            dict(body.messages),
            created,
            now,
        )
        await self._store.put_invitation_rule(rule)
        self._rules = None
        return rule

    async def delete_rule(self, rule_id: str) -> None:
        if not await self._store.delete_invitation_rule(rule_id):
            raise CovisorError("not_found", "no such rule")
        self._rules = None

    async def by_agent(
        self, agent: Identity, visitor_id: str, message: str, *, override: bool = False
    ) -> InvitationRecord:
        """An agent's own invitation: no cooldown (the agent chose to), noted for the rules;
        `at_capacity` unless `override`, as accepting one more conversation is."""
        if await self._store.visitor(visitor_id) is None:
            raise CovisorError("not_found", "no such visitor")
        await self._conversations.ensure_room(agent, override=override)
        await self._claim(visitor_id)
        return await self._add(visitor_id, message, agent.id, agent.name, None)

    async def by_rules(self, seen: OnPage, rules: list[RuleRecord]) -> InvitationRecord | None:
        """The invitation of the first enabled rule that matches, if an agent has room and the
        visitor was not invited within the cooldown; else None."""
        for rule in rules:
            conditions = msgspec.convert(rule.conditions, Conditions)
            if rule.enabled and matches(conditions, seen):
                message = message_for(rule.messages, seen.visitor.language)
                return await self._offer(seen.visitor.id, message, rule.id)
        return None

    async def by_shop(self, visitor_id: str, message: str) -> InvitationRecord | None:
        """`covisor.invite(message)` on the shop's page: as a rule, without conditions."""
        return await self._offer(visitor_id, message, None)

    async def _offer(
        self, visitor_id: str, message: str, rule_id: str | None
    ) -> InvitationRecord | None:
        agent = pick(await self._roster.on_duty())
        if agent is None:
            return None
        if not await self._claim(visitor_id):
            return None
        return await self._add(visitor_id, message, agent.id, agent.name, rule_id)

    async def _claim(self, visitor_id: str) -> bool:
        """Start the visitor's cooldown unless one runs: True if none ran (atomic across
        processes: a counter in the store)."""
        now = self._clock()
        found = await self._store.count_attempt(
            f"invite:{visitor_id}", now, now - self._cooldown() * 1000.0
        )
        return found.count == 1

    async def _add(
        self,
        visitor_id: str,
        message: str,
        agent_id: str | None,
        agent_name: str | None,
        rule_id: str | None,
    ) -> InvitationRecord:
        invitation = InvitationRecord(
            "i_" + self._tokens(12),
            visitor_id,
            message,
            self._clock(),
            agent_id,
            agent_name,
            rule_id,
        )
        await self._store.add_invitation(invitation)
        return invitation

    async def pending_for(self, visitor: Identity, invitation_id: str) -> InvitationRecord:
        """The visitor's own pending invitation, or the refusal."""
        invitation = await self._store.invitation(invitation_id)
        if invitation is None or invitation.visitor_id != visitor.id:
            raise CovisorError("not_found", "no such invitation")
        if invitation.outcome != "pending":
            raise CovisorError("conflict", f"this invitation was {invitation.outcome}")
        return invitation

    async def accepted(
        self, invitation: InvitationRecord, conversation_id: str
    ) -> InvitationRecord:
        """The visitor took the invitation into `conversation_id`: it becomes the inviting
        agent's, the invitation its first message; if that agent has filled up meanwhile
        (capacity), it waits in the queue like any other."""
        if invitation.agent_id:
            agent = Identity(invitation.agent_id, "agent", invitation.agent_name or "")
            try:
                await self._conversations.accept(agent, conversation_id)
                await self._journal.submit(
                    agent,
                    c.ChatSend(
                        conversation_id=conversation_id,
                        text=invitation.message,
                        client_id=invitation.id,
                    ),
                )
            except CovisorError as refusal:
                log.info("invitation %s: the agent did not get it: %s", invitation.id, refusal)
        decided = await self._store.decide_invitation(
            invitation.id, "accepted", self._clock(), conversation_id
        )
        await self._tracking.link(invitation.visitor_id, conversation_id)
        return decided or invitation

    async def declined(self, visitor: Identity, invitation_id: str) -> InvitationRecord:
        invitation = await self.pending_for(visitor, invitation_id)
        decided = await self._store.decide_invitation(
            invitation.id, "declined", self._clock(), None
        )
        if decided is None:
            raise CovisorError("conflict", "this invitation was answered already")
        return decided
