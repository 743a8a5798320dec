"""The syntax of the URLs users give: those the server sends requests to (webhooks, push
endpoints, feed URLs), and the shop pages a widget reports (a visitor's page and referrer, the
page a conversation was opened from).

Parsers are lenient in ways that matter once a URL is stored and sent on: yarl and browsers
drop or re-encode a trailing newline, a space or a CR LF (`"https://h/x\\r\\nX-Injected: 1"`), so
what is checked is not what is stored, logged, shown or signed. A URL the server requests is
refused unless every character is one RFC 3986 allows (ASCII letters, digits,
`-._~:/?#[]@!$&'()*+,;=` and `%` with two hex digits: no control character, no blank, nothing
else) and it has a scheme and an authority (`scheme://host…`).

A page URL is what a browser's `location.href` holds: `http(s)://`, a host, then visible ASCII
only. Browsers percent-encode blanks, control characters, non-ASCII and `"<>` in every part of
it, but leave `{}|^\\`` and `'` as they are in queries, and the widget cuts a long URL to its
limit (possibly inside a `%xx`): refusing what RFC 3986 does not allow there would refuse the
real pages of a shop, whose shoppers could then not open a chat. Nothing fetches a page URL;
it is stored, shown to agents as a link and matched against rules.
"""

from __future__ import annotations

import re

from covisor.kernel.errors import CovisorError

_ABSOLUTE = re.compile(
    r"[A-Za-z][A-Za-z0-9+.\-]*://"  # scheme and the authority's start
    r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})+\Z",
    re.ASCII,
)

_PAGE = r"[Hh][Tt][Tt][Pp][Ss]?://[!$-.0-;=@-~][!#-;=?-~]*"

PAGE_URL = rf"^{_PAGE}\Z"
"""The pattern of a page URL (a msgspec `Meta(pattern=…)`): an http(s) scheme, an authority
that starts with neither `/`, `?` nor `#`, then visible ASCII but `"`, `<` and `>`; `\\Z`, not
`$`, which also matches before a final newline."""

PAGE_URL_OR_EMPTY = rf"^(?:{_PAGE})?\Z"
"""`PAGE_URL`, or `""`: a browser's `document.referrer` when there is none."""


def check_absolute_url(url: str, field: str) -> str:
    """`url` if it is an absolute RFC 3986 URL with an authority, else `bad_request` naming
    `field`."""
    if not _ABSOLUTE.match(url):
        raise CovisorError("bad_request", f"{field} is not an absolute URL")
    return url
