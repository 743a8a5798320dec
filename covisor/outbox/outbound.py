"""Where the server may send requests a user chose the address of (Web Push endpoints, webhook
URLs, feeds and pictures): `https:` on a public host, resolved to public addresses only, so
nobody can point the server's requests at its own network. Loopback `http:` is allowed only
when a test asks (`outbound_allow_insecure`).

`is_public_address` is the one rule for an address, applied to the host a URL names when it is
registered (`check_url`) and to every address a name resolves to when connecting
(`PublicResolver`). Python's `is_global` is not enough: it says yes to IPv6 addresses that
carry an IPv4 one (IPv4-mapped `::ffff:127.0.0.1`, IPv4-compatible `::127.0.0.1`, NAT64
`64:ff9b::a9fe:a9fe`, 6to4 `2002:7f00:1::`), which reach that IPv4 address, and, before
Python 3.12, to multicast.
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
from covisor.kernel.urls import check_absolute_url

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
    check_absolute_url(url, field)
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
    """Loopback, or an address literal that is not public (`is_public_address`)."""
    if is_loopback(host):
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False  # a name: its addresses are checked when it is resolved
    return not is_public_address(host)


_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_BROADCAST = ipaddress.IPv4Address("255.255.255.255")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one leads to, where it carries one."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _SIX_TO_FOUR:
        return address.sixtofour
    low = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _IPV4_COMPATIBLE or any(address in net for net in _NAT64):
        return low
    return None


def is_public_address(text: str) -> bool:
    """Whether the server may connect to the address `text`: a global unicast address, and
    for an IPv6 address carrying an IPv4 one, that IPv4 address too. Refused: loopback,
    private, link-local, shared, reserved, unspecified, broadcast, multicast, Teredo, and
    anything not an address (a scoped `fe80::1%eth0`)."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if address.teredo is not None:
            return False
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return _is_public(embedded)
    return _is_public(address)


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return address.is_global and not (
        address.is_multicast
        or address.is_unspecified
        or address.is_reserved
        or address.is_link_local
        or address.is_loopback
        or address.is_private
        or address == _BROADCAST
    )


class PublicResolver(AbstractResolver):
    """DNS answers with only the public addresses among them: a name a user gave that points
    into the server's own network is never connected to."""

    def __init__(self) -> None:
        self._resolver = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._resolver.resolve(host, port, family)
        public = [r for r in found if is_public_address(r["host"])]
        if not public:
            raise OSError(f"{host} has no public address")
        return public

    async def close(self) -> None:
        await self._resolver.close()


def _literal_guard() -> aiohttp.TraceConfig:
    """Refuses, before connecting, a request to a host `is_local` names (a loopback name, an
    address literal that is not public): aiohttp never asks the resolver about a literal, so
    `PublicResolver` alone would let one through (a URL stored before the rule was stricter, or
    a redirect)."""

    async def on_request_start(
        session: aiohttp.ClientSession, context: object, params: aiohttp.TraceRequestStartParams
    ) -> None:
        host = params.url.raw_host or ""
        if is_local(host):
            raise aiohttp.ClientConnectionError(f"{host} is not a public address")

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_request_start)
    return trace


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
            traces = [] if self._allow_insecure else [_literal_guard()]
            self._session = aiohttp.ClientSession(
                connector=connector, trust_env=False, trace_configs=traces
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._resolver is not None:
            await self._resolver.close()
            self._resolver = None
