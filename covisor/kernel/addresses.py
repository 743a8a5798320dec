"""Who the client is, by address: the TCP peer, or what a trusted reverse proxy says it was.

By default the address is the TCP peer's. Behind a reverse proxy every client would then share
the proxy's address, and so one PIN lockout or quota; `trusted_proxies` (addresses or
networks) names the proxies whose `Forwarded` or `X-Forwarded-For` header is believed. The
client is the right-most address in that header that is not itself a trusted proxy, so a
client cannot pick its own address by sending the header (a proxy appends, never replaces).
From any other peer the headers are ignored.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_FOR = re.compile(r'(?:^|;)\s*for\s*=\s*("[^"]*"|[^;,\s]*)', re.IGNORECASE)


def parse_networks(specs: Iterable[str]) -> tuple[IPNetwork, ...]:
    """The networks of `specs` (`10.0.0.1`, `10.0.0.0/8`, `::1`); `ValueError` names a bad one."""
    return tuple(ipaddress.ip_network(spec.strip(), strict=False) for spec in specs)


def _address(text: str) -> IPAddress | None:
    """An address of a `Forwarded` `for=` or `X-Forwarded-For` element, without port."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class ClientAddresses:
    def __init__(self, trusted_proxies: tuple[IPNetwork, ...]) -> None:
        self._trusted = trusted_proxies

    def of(self, peer: str | None, headers: Mapping[str, str]) -> str | None:
        """The client's address for a request from `peer` with `headers`."""
        if peer is None or not self._is_trusted(_address(peer)):
            return peer
        chain = self._forwarded_chain(headers)
        if chain is None:
            return peer
        for address in reversed(chain):
            if not self._is_trusted(address):
                return str(address)
        return str(chain[0]) if chain else peer

    def _is_trusted(self, address: IPAddress | None) -> bool:
        return address is not None and any(address in network for network in self._trusted)

    @staticmethod
    def _forwarded_chain(headers: Mapping[str, str]) -> list[IPAddress] | None:
        """The addresses a proxy chain reported, first hop first; None if it reported none
        or one of them cannot be read (then nothing of it is believed)."""
        if "Forwarded" in headers:
            forwarded = _joined(headers, "Forwarded").replace(",", ";")
            elements = [m.group(1) for m in _FOR.finditer(forwarded)]
        elif "X-Forwarded-For" in headers:
            elements = _joined(headers, "X-Forwarded-For").split(",")
        else:
            return None
        chain = [_address(element) for element in elements]
        if not chain or any(address is None for address in chain):
            return None
        return [address for address in chain if address is not None]


def _joined(headers: Mapping[str, str], name: str) -> str:
    """Every line of header `name`, comma-joined (a proxy may add a line of its own)."""
    getall = getattr(headers, "getall", None)
    return ", ".join(getall(name)) if getall is not None else headers[name]


def address_key(remote: str | None) -> str:
    """The rate-limit key of a client address: the IPv4 address, or the /64 of an IPv6 one.

    One IPv6 subscriber usually holds a whole /64, so keying by the full address would hand a
    single guesser 2**64 separate allowances.
    """
    if not remote:
        return "address:unknown"
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return f"address:{remote[:64]}"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"address:{address.ipv4_mapped}"
        return f"address:{ipaddress.IPv6Network((address, 64), strict=False)}"
    return f"address:{address}"
