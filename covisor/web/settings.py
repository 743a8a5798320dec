"""The REST adapter of the shop's settings: `GET/PUT /api/settings` (admins only)."""

from __future__ import annotations

from aiohttp import web

from covisor.team.settings import Settings
from covisor.web.kit import RequestAuth, json_response, read_json


class SettingsApi:
    def __init__(self, auth: RequestAuth, settings: Settings) -> None:
        self._auth = auth
        self._settings = settings

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/settings", self.read),
            web.put("/api/settings", self.save),
        ]

    async def read(self, request: web.Request) -> web.Response:
        await self._auth.require_admin(request)
        return json_response(self._settings.now.wire())

    async def save(self, request: web.Request) -> web.Response:
        """Every field, checked (`400` naming the first wrong one); in force on this process
        before the answer, on the others within about a second."""
        await self._auth.require_admin(request)
        saved = await self._settings.save(await read_json(request))
        return json_response(saved.wire())
