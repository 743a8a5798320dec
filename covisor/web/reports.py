"""The REST adapter of reports: `GET /api/reports` (JSON) and `GET /api/reports.csv` (admins)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from covisor.history.reports import Reports, csv_text
from covisor.kernel.errors import CovisorError
from covisor.web.kit import RequestAuth, json_response


class ReportsApi:
    def __init__(self, auth: RequestAuth, reports: Reports) -> None:
        self._auth = auth
        self._reports = reports

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/reports", self.report),
            web.get("/api/reports.csv", self.report_csv),
        ]

    async def _figures(self, request: web.Request) -> dict[str, Any]:
        agent = await self._auth.require_agent(request)
        if not agent.admin:
            raise CovisorError("forbidden", "admins only")
        query = request.query
        return await self._reports.report(query.get("from"), query.get("to"), query.get("tz"))

    async def report(self, request: web.Request) -> web.Response:
        return json_response(await self._figures(request))

    async def report_csv(self, request: web.Request) -> web.Response:
        report = await self._figures(request)
        span = report["range"]
        name = f"covisor-report-{span['from']}-{span['to']}.csv"
        return web.Response(
            text=csv_text(report),
            content_type="text/csv",
            charset="utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
            },
        )
