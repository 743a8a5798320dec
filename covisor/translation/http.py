"""What both engine adapters share: one pooled HTTP session to the engine, JSON answers, and
transport failures said as `TranslationFailed("unavailable")`.

The engine's URL is the operator's (`translate_url`), usually on the shop's private network,
so it is not held to the public-address rule of the URLs users give (outbox/outbound.py)."""

from __future__ import annotations

from typing import Any

import aiohttp

from covisor.translation.engine import TranslationFailed


class EngineHttp:
    """Requests to one engine at `base_url`, at most `connections` at once."""

    def __init__(self, base_url: str, connections: int) -> None:
        self.base_url = base_url.rstrip("/")
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                headers={"Accept": "application/json"},
            )
        return self._session

    async def json(self, method: str, path: str, **request: Any) -> tuple[int, Any]:
        """`(status, parsed JSON body or None)` of a request to the engine; transport errors
        and a body that is not JSON are `unavailable`."""
        try:
            async with self.session().request(method, self.base_url + path, **request) as answer:
                try:
                    body = await answer.json(content_type=None)
                except ValueError:
                    body = None
                return answer.status, body
        except (aiohttp.ClientError, OSError) as failure:
            reason = f"the engine cannot be reached: {failure}"
            raise TranslationFailed("unavailable", reason) from None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
