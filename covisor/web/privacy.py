"""The REST adapter of the shop's data duties: an admin erases or exports a conversation, or
erases everything of one verified customer (docs/PRIVACY.md)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import aiofiles
from aiohttp import web

from covisor.history.privacy import Privacy
from covisor.kernel.errors import CovisorError
from covisor.web.kit import RequestAuth, json_response

CHUNK = 1 << 16


class PrivacyApi:
    def __init__(self, auth: RequestAuth, privacy: Privacy) -> None:
        self._auth = auth
        self._privacy = privacy

    def routes(self) -> list[web.RouteDef]:
        return [
            web.delete("/api/conversations/{conversation_id}", self.erase),
            web.get("/api/conversations/{conversation_id}/export", self.export),
            web.delete("/api/customers/{customer_id}", self.erase_customer),
        ]

    async def erase(self, request: web.Request) -> web.Response:
        """Erase the conversation: events, row, PINs, counters and the files only it holds."""
        await self._auth.require_admin(request)
        if not await self._privacy.erase(request.match_info["conversation_id"]):
            raise CovisorError("not_found", "no such conversation")
        return web.Response(status=204)

    async def export(self, request: web.Request) -> web.StreamResponse:
        """The conversation's zip (its summary, every event, its media as served)."""
        await self._auth.require_admin(request)
        cid = request.match_info["conversation_id"]
        with tempfile.TemporaryDirectory(prefix="covisor-export-") as folder:
            out = Path(folder) / "conversation.zip"
            if not await self._privacy.export(cid, out):
                raise CovisorError("not_found", "no such conversation")
            response = web.StreamResponse(
                headers={
                    "Content-Type": "application/zip",
                    "Content-Disposition": f'attachment; filename="{cid}.zip"',
                    "Content-Length": str(out.stat().st_size),
                }
            )
            await response.prepare(request)
            async with aiofiles.open(out, "rb") as zipped:
                while chunk := await zipped.read(CHUNK):
                    await response.write(chunk)
            await response.write_eof()
        return response

    async def erase_customer(self, request: web.Request) -> web.Response:
        """Erase every conversation of a verified customer id; how many there were."""
        await self._auth.require_admin(request)
        customer_id = request.match_info["customer_id"]
        if not 0 < len(customer_id) <= 128:
            raise CovisorError("bad_request", "a customer id has 1 to 128 characters")
        return json_response({"erased": await self._privacy.erase_customer(customer_id)})
