"""The REST adapter of who is on duty: the team's statuses and an agent setting its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import msgspec
from aiohttp import web

from covisor.team.roster import Roster
from covisor.web.kit import RequestAuth, json_response, read_body


class _StatusBody(msgspec.Struct, forbid_unknown_fields=True):
    status: Literal["online", "away", "offline"]


class RosterApi:
    def __init__(self, auth: RequestAuth, roster: Roster, changed: Callable[[], None]) -> None:
        """`changed` is called when an agent's status changed (routing may have work)."""
        self._auth = auth
        self._roster = roster
        self._changed = changed

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/agents", self.agents),
            web.put("/api/me/status", self.set_status),
        ]

    async def agents(self, request: web.Request) -> web.Response:
        """Every enabled agent with its status, open conversations and capacity (whom to
        transfer to)."""
        await self._auth.require_agent(request)
        team = await self._roster.on_duty()
        return json_response({"agents": [agent.to_wire() for agent in team]})

    async def set_status(self, request: web.Request) -> web.Response:
        agent = await self._auth.require_agent(request)
        body = await read_body(request, _StatusBody)
        await self._roster.set_status(agent, body.status)
        self._changed()
        return json_response({"status": await self._roster.status_of(agent.id)})
