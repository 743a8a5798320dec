"""Where the server may send requests a user chose the address of (Web Push endpoints, webhook
URLs): `https:` on a public host, resolved to public addresses only, so nobody can point the
server's POSTs at its own network. Loopback `http:` is allowed only when a test asks.
"""

from __future__ import annotations

import ipaddress
import re
import socket

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

from covisor.kernel.errors import CovisorError

MAX_URL = 2048

_HOSTNAME = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z"
)


def check_url(
    url: str, field: str, allow_insecure: bool = False, *, plain_http: bool = False
) -> str:
    """`url` if the server may send requests there, else `bad_request` naming `field`:
    absolute, at most `MAX_URL` characters, no user info, `https:` on a public name or address
    (or `http:` too with `plain_http`, for fetching what a shop publishes: feeds, pictures);
    with `allow_insecure`, also `http:` on a loopback host (a local test service)."""
    if len(url) > MAX_URL:
        raise CovisorError("bad_request", f"{field} is over {MAX_URL} characters")
    try:
        parsed = URL(url)
        absolute = parsed.is_absolute()
        host = (parsed.raw_host or "").lower()
        parsed.port  # noqa: B018 (a port yarl cannot read raises here, not at delivery)
    except ValueError:  # UnicodeError (IDNA) included
        raise CovisorError("bad_request", f"{field} is not a URL") from None
    if not absolute or parsed.user is not None or parsed.password is not None:
        raise CovisorError("bad_request", f"{field} must be an absolute URL with a host")
    if not is_host(host):
        raise CovisorError("bad_request", f"{field} must be an absolute URL with a host")
    secure = parsed.scheme == "https" or (plain_http and parsed.scheme == "http")
    if secure and not is_local(host):
        return url
    if allow_insecure and parsed.scheme in ("http", "https") and is_loopback(host):
        return url
    if plain_http:
        raise CovisorError("bad_request", f"{field} must be http(s) on a public host")
    raise CovisorError("bad_request", f"{field} must be https on a public host")


def is_host(host: str) -> bool:
    """A DNS name (IDNA-encoded; its last label not all digits, which resolvers would read as
    an address: `127.1`) or an IP address."""
    if _HOSTNAME.match(host) and not host.rsplit(".", 1)[-1].isdigit():
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_local(host: str) -> bool:
    """Loopback, or an address that is not public (private, link-local, reserved)."""
    if is_loopback(host):
        return True
    try:
        return not ipaddress.ip_address(host).is_global
    except ValueError:
        return False


def _is_public_address(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_global
    except ValueError:  # a scoped link-local address ("fe80::1%eth0") among others
        return False


class PublicResolver(AbstractResolver):
    """DNS answers with only the public addresses among them: a name a user gave that points
    into the server's own network is never connected to."""

    def __init__(self) -> None:
        self._resolver = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._resolver.resolve(host, port, family)
        public = [r for r in found if _is_public_address(r["host"])]
        if not public:
            raise OSError(f"{host} has no public address")
        return public

    async def close(self) -> None:
        await self._resolver.close()


class OutboundHttp:
    """The HTTP client for requests to user-chosen addresses: made on first use, resolving
    names to public addresses only (unless a test allows loopback, then its own check of the
    URL is the guard), never using proxy settings from the environment."""

    def __init__(self, *, allow_insecure: bool, connections: int) -> None:
        self._allow_insecure = allow_insecure
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None
        self._resolver: PublicResolver | None = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._resolver = None if self._allow_insecure else PublicResolver()
            connector = aiohttp.TCPConnector(limit=self._connections, resolver=self._resolver)
            self._session = aiohttp.ClientSession(connector=connector, trust_env=False)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._resolver is not None:
            await self._resolver.close()
            self._resolver = None
