"""REST adapter of the process itself: `/healthz`, `/readyz`, `/metrics`, `/api/config` and
`/api/openapi.yaml`."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from covisor.kernel.errors import CovisorError
from covisor.kernel.metrics import CONTENT_TYPE, Metrics
from covisor.web.kit import json_response

log = logging.getLogger(__name__)

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


class HealthApi:
    """Health and readiness for load balancers, metrics, the limits clients keep to, and the
    description of every route."""

    def __init__(
        self,
        *,
        ping: Callable[[], Awaitable[None]],
        readiness: Callable[[], Awaitable[dict[str, bool]]],
        metrics: Metrics,
        metrics_token: str | None,
        client_limits: dict[str, Any],
        client_settings: Callable[[], dict[str, Any]],
    ) -> None:
        self._ping = ping
        self._readiness = readiness
        self._metrics = metrics
        self._metrics_token = metrics_token
        self._client_limits = client_limits
        self._client_settings = client_settings

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/healthz", self.healthz),
            web.get("/readyz", self.readyz),
            web.get("/metrics", self.metrics),
            web.get("/api/config", self.client_config),
            web.get("/api/openapi.yaml", self.openapi),
        ]

    async def healthz(self, request: web.Request) -> web.Response:
        try:
            await self._ping()
        except Exception:
            log.exception("health check failed")
            raise CovisorError("unavailable", "store is not answering") from None
        return json_response({"status": "ok"})

    async def readyz(self, request: web.Request) -> web.Response:
        """200 when this process should get traffic, else 503 (the parts say which fails)."""
        parts = await self._readiness()
        if all(parts.values()):
            return json_response({"status": "ready", **parts})
        return json_response({"status": "not ready", **parts}, 503)

    async def metrics(self, request: web.Request) -> web.Response:
        """This process's figures in Prometheus's text format; with `metrics_token` set, only
        for a bearer of it."""
        if self._metrics_token is not None:
            scheme, _, given = request.headers.get("Authorization", "").partition(" ")
            # The exact token: any other string, a prefix or one with more blanks, is refused.
            exact = hmac.compare_digest(given.encode(), self._metrics_token.encode())
            if scheme.lower() != "bearer" or not exact:
                raise CovisorError("unauthorized", "send Authorization: Bearer <metrics token>")
        return web.Response(body=self._metrics.exposition(), headers={"Content-Type": CONTENT_TYPE})

    async def client_config(self, request: web.Request) -> web.Response:
        """The limits clients must keep to; public, since a shopper needs them before a token."""
        return json_response({"limits": self._client_limits, **self._client_settings()})

    async def openapi(self, request: web.Request) -> web.FileResponse:
        """docs/openapi.yaml, the description of every route, as it is in the source tree."""
        return web.FileResponse(OPENAPI, headers={"Content-Type": "application/yaml"})
