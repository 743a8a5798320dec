"""The one syntax check of every URL a user gives (webhooks, push endpoints, feed URLs): an
absolute URL as RFC 3986 writes it, or nothing.

Parsers are lenient in ways that matter once a URL is stored and sent on: yarl and browsers
drop or re-encode a trailing newline, a space or a CR LF (`"https://h/x\\r\\nX-Injected: 1"`), so
what is checked is not what is stored, logged, shown or signed. Here a URL is refused unless
every character is one RFC 3986 allows (ASCII letters, digits, `-._~:/?#[]@!$&'()*+,;=` and
`%` with two hex digits: no control character, no blank, nothing else) and it has a scheme and
an authority (`scheme://host…`).
"""

from __future__ import annotations

import re

from covisor.kernel.errors import CovisorError

_ABSOLUTE = re.compile(
    r"[A-Za-z][A-Za-z0-9+.\-]*://"  # scheme and the authority's start
    r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+\Z",
    re.ASCII,
)


def check_absolute_url(url: str, field: str) -> str:
    """`url` if it is an absolute RFC 3986 URL with an authority, else `bad_request` naming
    `field`."""
    if not _ABSOLUTE.match(url):
        raise CovisorError("bad_request", f"{field} is not an absolute URL")
    return url
