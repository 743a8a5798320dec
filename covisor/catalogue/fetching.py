"""Fetching what a shop publishes (its feed, its product pictures) under the outbound rule.

Every request goes through `OutboundHttp` (names resolved to public addresses only) to a URL
`check_url` accepts, and so does every redirect it follows: a public URL that redirects into
the server's own network is refused at the hop, not fetched. Bodies are streamed with a byte
limit and a time limit; nothing is buffered whole.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
from yarl import URL

from covisor.kernel.errors import CovisorError
from covisor.outbox.outbound import OutboundHttp, check_url

MAX_REDIRECTS = 3
_CHUNK = 64 * 1024


class FetchError(Exception):
    """A fetch that failed; the message says why in an admin's words (never a URL's secret)."""


@dataclass(frozen=True)
class Fetched:
    """An answer being read: `status` 200 (or 304 for a conditional GET), the validators for
    the next conditional GET, and the body's chunks (read at most `limit` bytes, within the
    time limit)."""

    status: int
    etag: str | None
    last_modified: str | None
    chunks: AsyncIterator[bytes]


@dataclass(frozen=True)
class FetchOptions:
    allow_insecure: bool
    timeout: float
    """Seconds for the whole fetch, body included."""
    limit: int
    """Bytes a body may have (after HTTP content decoding)."""


class Fetcher:
    """GETs of user-given URLs with the outbound rule applied at every hop."""

    def __init__(self, http: OutboundHttp, options: FetchOptions) -> None:
        self._http = http
        self._options = options

    @asynccontextmanager
    async def get(
        self,
        url: str,
        field: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> AsyncIterator[Fetched]:
        """The answer of `url`, following at most `MAX_REDIRECTS` redirects, each checked;
        raises `FetchError` naming `field` for anything but 200 or 304."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        timeout = aiohttp.ClientTimeout(total=self._options.timeout)
        try:
            async with asyncio.timeout(self._options.timeout):
                for _hop in range(MAX_REDIRECTS + 1):
                    self._check(url, field)
                    async with self._http.session().get(
                        url, headers=headers, allow_redirects=False, timeout=timeout
                    ) as response:
                        if response.status in (301, 302, 303, 307, 308):
                            url = _redirect(url, response.headers.get("Location", ""), field)
                            continue
                        if response.status not in (200, 304):
                            raise FetchError(f"{field}: HTTP {response.status}")
                        yield Fetched(
                            status=response.status,
                            etag=response.headers.get("ETag"),
                            last_modified=response.headers.get("Last-Modified"),
                            chunks=self._body(response, field),
                        )
                        return
                raise FetchError(f"{field}: more than {MAX_REDIRECTS} redirects")
        except TimeoutError:
            raise FetchError(
                f"{field}: no complete answer within {self._options.timeout:g} s"
            ) from None
        except aiohttp.ClientError as exc:
            raise FetchError(f"{field}: {_reason(exc)}") from None

    def check(self, url: str, field: str) -> str:
        """`url` if it may be fetched, else `bad_request` naming `field` (outbound.check_url
        with `http:` allowed: what a shop publishes is public)."""
        return check_url(url, field, self._options.allow_insecure, plain_http=True)

    def _check(self, url: str, field: str) -> None:
        try:
            self.check(url, field)
        except CovisorError as exc:
            raise FetchError(exc.message) from None

    async def _body(self, response: aiohttp.ClientResponse, field: str) -> AsyncIterator[bytes]:
        received = 0
        async for chunk in response.content.iter_chunked(_CHUNK):
            received += len(chunk)
            if received > self._options.limit:
                megabytes = self._options.limit / 1_000_000
                raise FetchError(f"{field}: over {megabytes:g} MB")
            yield chunk


def _redirect(url: str, location: str, field: str) -> str:
    try:
        return str(URL(url).join(URL(location)))
    except ValueError:
        raise FetchError(f"{field}: redirects to something that is not a URL") from None


def _reason(exc: aiohttp.ClientError) -> str:
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "cannot connect (no public address, or the host refused)"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return "the answer was cut off or badly encoded"
    return "the request failed"
