"""The console's history: the shop's closed conversations, searched by any agent of the team.

Every agent sees every closed conversation of the shop, not only their own (as a team inbox
does: a customer who comes back is anyone's to help), and may open one read-only
(`may_read`). `GET /api/conversations?status=closed` takes the filters as query parameters,
all optional and combined: `q` (a piece of the shopper's name or e-mail or of a chat message,
any case), `from` and `to` (dates `YYYY-MM-DD`, both included, of the opening in zone `tz`,
else the shop's), `agent` (an agent's id), `rating` (1–5); and pages by `offset` (at most
`MAX_OFFSET`) and `limit` (at most `MAX_LIMIT`). The answer's `next_offset` is the next
page's, `null` on the last.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from covisor.conversations.service import ConversationService
from covisor.history.reports import midnight, parse_date
from covisor.kernel.errors import CovisorError
from covisor.store.records import ClosedQuery
from covisor.team.hours import zone

MAX_LIMIT = 100
"""The most conversations one page holds (`limit`; 50 when not given)."""
MAX_OFFSET = 10_000
"""How deep paging goes (`offset`): past it, narrow the search."""
MAX_TEXT = 200
"""The longest `q`, in characters."""


def closed_query(params: Mapping[str, str], default_tz: str) -> ClosedQuery:
    """The search the query `params` ask for; `bad_request` naming the first bad one."""
    text = params.get("q", "").strip()
    if len(text) > MAX_TEXT or "\x00" in text:
        raise CovisorError("bad_request", f"q: at most {MAX_TEXT} characters, no NUL")
    try:
        tz = zone(params.get("tz", default_tz))
    except ValueError as exc:
        raise CovisorError("bad_request", f"tz: {exc}") from None
    since = until = None
    if "from" in params:
        since = midnight(parse_date(params["from"], "from"), tz)
    if "to" in params:
        until = midnight(parse_date(params["to"], "to") + timedelta(days=1), tz)
    agent = params.get("agent") or None
    if agent is not None and (len(agent) > 64 or "\x00" in agent):
        raise CovisorError("bad_request", "agent: an agent's id")
    return ClosedQuery(
        text=text.lower() or None,
        since=since,
        until=until,
        agent_id=agent,
        rating=_whole(params, "rating", 1, 5),
        limit=_whole(params, "limit", 1, MAX_LIMIT) or 50,
        offset=_whole(params, "offset", 0, MAX_OFFSET) or 0,
    )


def _whole(params: Mapping[str, str], name: str, low: int, high: int) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6) or not low <= int(raw) <= high:
        raise CovisorError("bad_request", f"{name}: a whole number from {low} to {high}")
    return int(raw)


class HistorySearch:
    """Searches of the closed conversations for the console's history view."""

    def __init__(self, conversations: ConversationService, default_tz: Callable[[], str]) -> None:
        """`default_tz()`: the zone of a search that names none (the shop settings' `timezone`,
        asked at each search)."""
        self._conversations = conversations
        self._default_tz = default_tz

    async def search(self, params: Mapping[str, str]) -> dict[str, Any]:
        """A page of matches as the API answers it (the caller checks an agent asks)."""
        query = closed_query(params, self._default_tz())
        found, more = await self._conversations.closed(query)
        return {
            "conversations": [record.to_wire() for record in found],
            "next_offset": query.offset + len(found) if more else None,
        }
