"""Client addresses: the TCP peer, or what a trusted proxy reported; never a client's claim."""

from __future__ import annotations

from covisor.kernel.addresses import ClientAddresses, parse_networks

PROXIES = ClientAddresses(parse_networks(["10.0.0.0/8", "fd00::1"]))
NONE = ClientAddresses(())


def test_headers_from_an_untrusted_peer_are_ignored() -> None:
    headers = {"X-Forwarded-For": "198.51.100.7", "Forwarded": "for=198.51.100.8"}
    assert NONE.of("203.0.113.5", headers) == "203.0.113.5"
    assert PROXIES.of("203.0.113.5", headers) == "203.0.113.5"


def test_a_trusted_proxy_names_the_client_right_most_first() -> None:
    assert PROXIES.of("10.1.2.3", {"X-Forwarded-For": "198.51.100.7"}) == "198.51.100.7"
    forged = {"X-Forwarded-For": "1.2.3.4, 198.51.100.7, 10.9.9.9"}
    assert PROXIES.of("10.1.2.3", forged) == "198.51.100.7"
    assert PROXIES.of("10.1.2.3", {"X-Forwarded-For": "10.0.0.5, 10.0.0.6"}) == "10.0.0.5"


def test_forwarded_is_read_with_quotes_ports_and_ipv6() -> None:
    header = 'for=1.2.3.4;proto=https, for="[2001:db8:cafe::17]:4711";by=10.0.0.1'
    assert PROXIES.of("10.0.0.1", {"Forwarded": header}) == "2001:db8:cafe::17"
    assert PROXIES.of("fd00::1", {"Forwarded": 'For="198.51.100.9:80"'}) == "198.51.100.9"
    mapped = {"X-Forwarded-For": "::ffff:198.51.100.3"}
    assert PROXIES.of("::ffff:10.0.0.2", mapped) == "198.51.100.3"


def test_a_header_that_cannot_be_read_is_not_believed_at_all() -> None:
    for header in ("for=unknown", "for=_hidden, for=198.51.100.7", ""):
        assert PROXIES.of("10.0.0.1", {"Forwarded": header}) == "10.0.0.1"
    assert PROXIES.of("10.0.0.1", {"X-Forwarded-For": "198.51.100.7, garbage"}) == "10.0.0.1"
    assert PROXIES.of(None, {"X-Forwarded-For": "198.51.100.7"}) is None
