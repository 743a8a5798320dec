"""Property: every Socket.IO event, whatever its payload, is answered, and a refusal changes
nothing.

Hypothesis generates each client event with hostile payloads (wrong types, extremes, NaN and
Infinity, lone surrogates, deep nesting, unknown fields) and sends them as raw packets to a live
server (in a thread of its own, since Hypothesis drives the test synchronously), from a member
shopper's, the conversation's agent's or a site visitor's socket (a visitor's `visitor.*` events
mostly from the visitor, the others mostly from the members, each now and then from a socket it
is not for). For every one:
an ack comes, `{"ok": true, ...}` or the error shape with a documented code; a refused event
leaves the conversation's `last_seq` as it was; and the server still answers `time`. A page
URL or referrer that `visitor.page` takes is one a browser writes (issue 25).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from covisor.config import Config
from covisor.kernel.commands import BY_EVENT
from covisor.kernel.errors import HTTP_STATUS
from covisor.kernel.ratelimit import RateLimit
from covisor.realtime.handlers import VISITOR_EVENTS
from tests.conftest import Harness
from tests.live_thread import served_on_thread
from tests.raw_socketio import RawSocket
from tests.web.test_hardening_fuzz import PAGE_URL, page_text

T = TypeVar("T")

CID = "$CID"
"""Stands for the conversation's id in generated payloads."""

MEMBER_EVENTS = sorted({*BY_EVENT, "time", "join", "leave", "chat.typing", "chat.history"})
EVENTS = sorted({*MEMBER_EVENTS, *VISITOR_EVENTS})
FIELDS = [
    "conversation_id", "text", "client_id", "seq", "stroke_id", "color", "width", "points",
    "media_id", "variant", "media", "zoom", "cx", "cy", "position", "rate", "typing",
    "last_seq", "before_seq", "limit", "src", "kind", "id",
    "url", "title", "referrer", "name", "message",
]  # fmt: skip
SENDERS = ("customer", "agent", "visitor")

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | st.sampled_from(
        ["", "#ff0000", "#ff0000\n", "\ud800", "a" * 5000, CID, "display_webp"]
        + ["https://shop.test/p/1", "https://shop.test/p/1\n", "javascript:alert(1)", "cart"]
    )
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
payloads = st.dictionaries(
    st.sampled_from(FIELDS) | st.text(max_size=12),
    st.just(CID) | values,
    max_size=6,
)


def _sent_by(event: str) -> st.SearchStrategy[tuple[str, str]]:
    """`event` with the socket it goes out on: mostly one it is for, now and then another."""
    if event in VISITOR_EVENTS:
        senders = st.sampled_from(["visitor"] * 4 + ["customer", "agent"])
    else:
        senders = st.sampled_from(["customer", "agent"] * 3 + ["visitor"])
    return st.tuples(st.just(event), senders)


sent_events = st.sampled_from(EVENTS).flatmap(_sent_by)


@dataclass
class Live:
    """A server running in a thread's event loop, and a raw socket connected to it."""

    loop: asyncio.AbstractEventLoop
    harness: Harness
    sockets: dict[str, RawSocket]
    conversation_id: str
    agent_token: str

    @property
    def socket(self) -> RawSocket:
        """The shopper's socket, a member of the conversation."""
        return self.sockets["customer"]

    def run(self, coro: Awaitable[T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    data = Path(tmp_path_factory.mktemp("fuzz")) / "data"
    plenty = RateLimit(100_000, 100_000)
    config = Config(
        data_dir=data,
        port=0,
        seed_demo=False,
        media_workers=1,
        chat_rate=plenty,
        stroke_rate=plenty,
        other_rate=plenty,
        shed_after=10.0,  # as conftest.py's `config`: a busy machine must not shed strokes
    )

    async def setup(h: Harness) -> Live:
        cid, customer, agent = await h.session()
        await agent.ok("viewer.show", {"conversation_id": cid, "media_id": await h.product()})
        status, visitor = await h.request("POST", "/api/visitors", json={})
        assert status == 201, visitor
        tokens = {"customer": customer.token, "agent": agent.token, "visitor": visitor["token"]}
        sockets = {who: await connected(h, token) for who, token in tokens.items()}
        for who in ("customer", "agent"):
            assert (await sockets[who].call("join", {"conversation_id": cid}))["ok"] is True
        page = {"url": "https://shop.test/p/1", "title": "Boots"}
        assert (await sockets["visitor"].call("visitor.page", page))["ok"] is True
        return Live(asyncio.get_running_loop(), h, sockets, cid, agent.token)

    async def cleanup(live: Live) -> None:
        for socket in live.sockets.values():
            await socket.close()

    with served_on_thread(config, setup, cleanup) as (_, live):
        yield live


async def connected(h: Harness, token: str) -> RawSocket:
    """A raw socket connected with `token`; what the server pushes before the connect ack (an
    agent's `queue`) is kept as pushed."""
    socket = RawSocket(await h.http.ws_connect(f"{h.url}/socket.io/?EIO=4&transport=websocket"))
    await socket.frame_starting("0")
    await socket.ws.send_str("40" + json.dumps({"token": token}))
    await socket.frame_starting("40{")
    return socket


def encode(event: str, payload: Any, cid: str) -> str:
    """The packet data as a broken client would write it: NaN, Infinity and lone surrogates
    (escaped as `\\udxxx`, as `JSON.stringify` does) left in."""
    text = json.dumps([event, payload], allow_nan=True, ensure_ascii=True)
    return text.replace(json.dumps(CID)[1:-1], cid)


async def last_seq(live: Live) -> int:
    status, summary = await live.harness.request(
        "GET", f"/api/conversations/{live.conversation_id}", live.agent_token
    )
    assert status == 200, summary
    return int(summary["last_seq"])


def check(answer: Any) -> bool:
    """Whether `answer` is an ack of the protocol; returns whether it is a refusal."""
    assert isinstance(answer, dict) and isinstance(answer.get("ok"), bool), answer
    if answer["ok"]:
        return False
    error = answer["error"]
    assert set(error) <= {"code", "message", "retry_after"}, answer
    assert error["code"] in HTTP_STATUS and error["code"] != "internal", answer
    assert isinstance(error["message"], str) and "Traceback" not in error["message"]
    return True


@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sent=sent_events, payload=payloads | values)
def test_any_payload_of_any_event_is_answered_and_a_refusal_changes_nothing(
    live: Live, sent: tuple[str, str], payload: Any
) -> None:
    event, sender = sent
    socket = live.sockets[sender]

    async def attempt() -> None:
        before = await last_seq(live)
        answer = await socket.call_raw(encode(event, payload, live.conversation_id))
        refused = check(answer)
        if refused:
            assert await last_seq(live) == before, (sender, event, payload, answer)
        if (sender == "visitor") != (event in VISITOR_EVENTS):
            assert refused, (sender, event, answer)  # forbidden, or bad_request if undecodable
            assert answer["error"]["code"] in {"forbidden", "bad_request"}, answer
        alive = "visitor.ping" if sender == "visitor" else "time"
        assert (await socket.call(alive, {}))["ok"] is True
        if event == "leave" and not refused:
            await socket.call("join", {"conversation_id": live.conversation_id})

    live.run(attempt())


@settings(max_examples=40, deadline=None, derandomize=True)
@given(data=st.text(max_size=60) | st.binary(max_size=60).map(lambda b: b.decode("latin-1")))
def test_any_packet_text_is_answered_or_ignored_never_crashing(live: Live, data: str) -> None:
    async def attempt() -> None:
        await live.socket.ws.send_str(f"42999{data}")
        assert (await live.socket.call("time", {}))["ok"] is True

    live.run(attempt())


@settings(max_examples=60, deadline=None, derandomize=True)
@given(url=page_text, referrer=st.none() | st.just("") | page_text)
def test_a_page_is_taken_only_with_urls_a_browser_writes(
    live: Live, url: str, referrer: str | None
) -> None:
    page = {"url": url} if referrer is None else {"url": url, "referrer": referrer}
    good = all(PAGE_URL.match(u) and len(u) <= 2000 for u in (url, referrer or url))

    async def attempt() -> None:
        answer = await live.sockets["visitor"].call("visitor.page", page)
        assert check(answer) != good, (page, answer)
        if not good:
            assert answer["error"]["code"] == "bad_request", answer

    live.run(attempt())
