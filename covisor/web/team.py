"""The REST adapter for the team: agents' login and logout, and the admins' team management."""

from __future__ import annotations

from typing import Annotated, TypeVar

import msgspec
from aiohttp import web

from covisor.kernel.addresses import ClientAddresses
from covisor.kernel.commands import NOT_BLANK
from covisor.store.records import AgentChanges, AgentRecord, AgentRole
from covisor.team.agents import MAX_CAPACITY, MAX_EMAIL, Agents
from covisor.team.passwords import MAX_LENGTH
from covisor.web.kit import RequestAuth, json_response, read_body

AgentName = Annotated[str, msgspec.Meta(min_length=1, max_length=80, pattern=NOT_BLANK)]
Email = Annotated[str, msgspec.Meta(max_length=MAX_EMAIL)]
Capacity = Annotated[int, msgspec.Meta(ge=1, le=MAX_CAPACITY)]
T = TypeVar("T")


class _LoginBody(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: Annotated[str, msgspec.Meta(max_length=MAX_LENGTH)]


class _InviteBody(msgspec.Struct, forbid_unknown_fields=True):
    name: AgentName
    email: Email
    role: AgentRole = "agent"
    capacity: Capacity | msgspec.UnsetType = msgspec.UNSET
    """Left out: the shop's settings' `capacity`."""


class _ChangeBody(msgspec.Struct, forbid_unknown_fields=True):
    """Each field left out is left as it is; none is nullable, so `null` is a wrong type
    (`bad_request`), never read as "no change"."""

    name: AgentName | msgspec.UnsetType = msgspec.UNSET
    role: AgentRole | msgspec.UnsetType = msgspec.UNSET
    disabled: bool | msgspec.UnsetType = msgspec.UNSET
    capacity: Capacity | msgspec.UnsetType = msgspec.UNSET


def _given(value: T | msgspec.UnsetType) -> T | None:
    """A field of a change as the service takes it: None for one left out."""
    return None if isinstance(value, msgspec.UnsetType) else value


def _login_view(agent: AgentRecord) -> dict[str, str | None]:
    return {"id": agent.id, "name": agent.name, "email": agent.email, "role": agent.role}


class TeamApi:
    def __init__(self, auth: RequestAuth, addresses: ClientAddresses, agents: Agents) -> None:
        self._auth = auth
        self._addresses = addresses
        self._agents = agents

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/api/auth/login", self.login),
            web.post("/api/auth/logout", self.logout),
            web.get("/api/team", self.team),
            web.post("/api/team", self.invite),
            web.patch("/api/team/{agent_id}", self.change),
            web.post("/api/team/{agent_id}/password", self.reset_password),
        ]

    async def login(self, request: web.Request) -> web.Response:
        body = await read_body(request, _LoginBody)
        client = self._addresses.of(request.remote, request.headers)
        token, agent = await self._agents.login(body.email, body.password, client)
        return json_response({"token": token, "agent": _login_view(agent)})

    async def logout(self, request: web.Request) -> web.Response:
        agent = await self._auth.require_agent(request)
        await self._agents.logout(
            agent, request.headers["Authorization"].partition(" ")[2].strip(" \t")
        )
        return web.Response(status=204)

    async def team(self, request: web.Request) -> web.Response:
        admin = await self._auth.require_admin(request)
        agents = await self._agents.team(admin)
        return json_response({"agents": [agent.to_wire() for agent in agents]})

    async def invite(self, request: web.Request) -> web.Response:
        admin = await self._auth.require_admin(request)
        body = await read_body(request, _InviteBody)
        agent, password = await self._agents.invite(
            admin, body.name.strip(), body.email, body.role, _given(body.capacity)
        )
        return json_response({"agent": agent.to_wire(), "password": password}, 201)

    async def change(self, request: web.Request) -> web.Response:
        admin = await self._auth.require_admin(request)
        body = await read_body(request, _ChangeBody)
        name = _given(body.name)
        changes = AgentChanges(
            name=name.strip() if name is not None else None,
            role=_given(body.role),
            disabled=_given(body.disabled),
            capacity=_given(body.capacity),
        )
        agent = await self._agents.update(admin, request.match_info["agent_id"], changes)
        return json_response(agent.to_wire())

    async def reset_password(self, request: web.Request) -> web.Response:
        admin = await self._auth.require_admin(request)
        password = await self._agents.reset_password(admin, request.match_info["agent_id"])
        return json_response({"password": password})
