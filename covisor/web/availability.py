"""REST adapter of the shop's availability: `GET /api/availability` (public), open now, or why
not and when it opens (team/availability.py)."""

from __future__ import annotations

from aiohttp import web

from covisor.team.availability import Availability
from covisor.web.kit import json_response


class AvailabilityApi:
    def __init__(self, availability: Availability) -> None:
        self._availability = availability

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/api/availability", self.now)]

    async def now(self, request: web.Request) -> web.Response:
        return json_response(await self._availability.now())
