"""REST adapter of translation: what the shop's engine offers, and the language an agent
reads (`PUT /api/me/language`), into which shoppers' messages are translated."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from aiohttp import web

from covisor.team.agents import Agents
from covisor.translation.translator import Translator
from covisor.web.kit import RequestAuth, json_response, read_body

Language = Annotated[str, msgspec.Meta(pattern=r"^[a-z]{2,3}\Z")]
"""An ISO 639-1 code (`es`), or ISO 639-3 for a language that has none."""


class _LanguageBody(msgspec.Struct, forbid_unknown_fields=True):
    language: Language | None
    """None: the agent reads no other language; nothing is translated for them."""


class TranslationApi:
    def __init__(self, auth: RequestAuth, agents: Agents, translator: Translator | None) -> None:
        self._auth = auth
        self._agents = agents
        self._translator = translator

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/translation", self.offer),
            web.put("/api/me/language", self.set_language),
        ]

    async def offer(self, request: web.Request) -> web.Response:
        """Whether translation is on, what the engine offers, and the asking agent's
        language."""
        agent = await self._auth.require_agent(request)
        body: dict[str, Any] = {"enabled": self._translator is not None}
        if self._translator is not None:
            body |= await self._translator.offer()
        body["language"] = await self._agents.language(agent)
        return json_response(body)

    async def set_language(self, request: web.Request) -> web.Response:
        agent = await self._auth.require_agent(request)
        body = await read_body(request, _LanguageBody)
        await self._agents.set_language(agent, body.language)
        return json_response({"language": body.language})
