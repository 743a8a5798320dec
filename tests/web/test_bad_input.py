"""Bad input gets an error ack, changes nothing, and the connection and server survive."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any, get_args

import msgspec
import pytest

from covisor.config import Config
from covisor.kernel import commands as c
from covisor.kernel.ratelimit import RateLimit
from tests.conftest import Harness

PROTOCOL = Path(__file__).resolve().parents[2] / "docs" / "PROTOCOL.md"


@pytest.mark.parametrize(
    ("event", "payload", "code"),
    [
        ("no.such.event", {"conversation_id": "x"}, "unknown_event"),
        ("chat.send", "just a string", "bad_request"),
        ("chat.send", ["a", "list"], "bad_request"),
        ("chat.send", {"conversation_id": "{cid}", "text": 42}, "bad_request"),
        ("chat.send", {"conversation_id": "{cid}", "text": ""}, "bad_request"),
        ("chat.send", {"conversation_id": "{cid}", "text": "   "}, "bad_request"),
        ("chat.send", {"conversation_id": "{cid}", "text": "x" * 2001}, "bad_request"),
        ("chat.send", {"conversation_id": "{cid}", "text": "hi", "html": "<b>"}, "bad_request"),
        ("chat.send", {"text": "no conversation"}, "bad_request"),
        (
            "viewer.transform",
            {"conversation_id": "{cid}", "zoom": 0.5, "cx": 0.5, "cy": 0.5},
            "bad_request",
        ),
        (
            "viewer.transform",
            {"conversation_id": "{cid}", "zoom": 2, "cx": 1.5, "cy": 0.5},
            "bad_request",
        ),
        (
            "viewer.transform",
            {"conversation_id": "{cid}", "zoom": "2", "cx": 0.5, "cy": 0.5},
            "bad_request",
        ),
        (
            "stroke.begin",
            {"conversation_id": "{cid}", "stroke_id": "s", "color": "red", "width": 0.01},
            "bad_request",
        ),
        (
            "stroke.begin",
            {"conversation_id": "{cid}", "stroke_id": "../x", "color": "#ff0000", "width": 0.01},
            "bad_request",
        ),
        (
            "stroke.points",
            {"conversation_id": "{cid}", "stroke_id": "nope", "points": [[0.1, 0.1]]},
            "bad_request",
        ),
        (
            "stroke.points",
            {"conversation_id": "{cid}", "stroke_id": "s", "points": [[0.1, -0.1]]},
            "bad_request",
        ),
        (
            "stroke.points",
            {"conversation_id": "{cid}", "stroke_id": "s", "points": [[0.1]]},
            "bad_request",
        ),
        (
            "stroke.points",
            {"conversation_id": "{cid}", "stroke_id": "s", "points": [[0.5, 0.5]] * 257},
            "bad_request",
        ),
        ("video.play", {"conversation_id": "{cid}"}, "bad_request"),
        ("chat.read", {"conversation_id": "{cid}", "seq": 10**6}, "bad_request"),
        ("join", {"conversation_id": "c_does_not_exist"}, "forbidden"),
    ],
)
async def test_malformed_event_gets_error_ack_and_changes_nothing(
    harness: Harness, event: str, payload: Any, code: str
) -> None:
    cid, customer, agent = await harness.session()
    await agent.ok("viewer.show", {"conversation_id": cid, "media_id": await harness.product()})
    before = await customer.ok("join", {"conversation_id": cid})
    if isinstance(payload, dict):
        payload = {k: (cid if v == "{cid}" else v) for k, v in payload.items()}
    answer = await customer.call(event, payload)
    assert answer["ok"] is False and answer["error"]["code"] == code, answer
    assert "Traceback" not in answer["error"]["message"]
    after = await customer.ok("join", {"conversation_id": cid})
    assert after["seq"] == before["seq"] and after["snapshot"] == before["snapshot"]


async def test_event_without_payload_is_refused(harness: Harness) -> None:
    cid, customer, _ = await harness.session()
    answer = await customer.sio.call("chat.send", timeout=5)
    assert answer["error"]["code"] == "bad_request"
    await customer.ok("chat.send", {"conversation_id": cid, "text": "still connected"})


async def test_huge_payload_drops_only_that_connection(harness: Harness) -> None:
    cid, customer, agent = await harness.session()
    await customer.sio.emit("chat.send", {"conversation_id": cid, "text": "x" * 200_000})
    await agent.ok("chat.send", {"conversation_id": cid, "text": "server still fine"})
    fresh = await harness.peer(customer.token)
    joined = await fresh.ok("join", {"conversation_id": cid})
    texts = [m["data"]["text"] for m in joined["snapshot"]["messages"]]
    assert texts == ["server still fine"]


async def test_chat_flood_is_rate_limited_with_retry_after(harness: Harness) -> None:
    cid, customer, agent = await harness.session()
    answers = [
        await customer.call("chat.send", {"conversation_id": cid, "text": f"spam {i}"})
        for i in range(25)
    ]
    limited = [a for a in answers if not a["ok"]]
    assert limited and all(a["error"]["code"] == "rate_limited" for a in limited)
    assert all(a["error"]["retry_after"] > 0 for a in limited)
    accepted = sum(1 for a in answers if a["ok"])
    history = await agent.ok("chat.history", {"conversation_id": cid, "limit": 100})
    assert len(history["messages"]) == accepted
    await agent.ok("chat.send", {"conversation_id": cid, "text": "agent unaffected"})


async def test_stroke_on_someone_elses_stroke_is_forbidden(harness: Harness) -> None:
    cid, customer, agent = await harness.session()
    await agent.ok("viewer.show", {"conversation_id": cid, "media_id": await harness.product()})
    await agent.ok(
        "stroke.begin",
        {"conversation_id": cid, "stroke_id": "a1", "color": "#000000", "width": 0.01},
    )
    answer = await customer.call(
        "stroke.points", {"conversation_id": cid, "stroke_id": "a1", "points": [[0.1, 0.1]]}
    )
    assert answer["error"]["code"] == "forbidden"


async def test_rest_rejects_malformed_json_with_error_shape(harness: Harness) -> None:
    status, body = await harness.request(
        "POST",
        "/api/conversations",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert status == 400 and body["error"]["code"] == "bad_request"
    status, body = await harness.request("POST", "/api/conversations", json=[1, 2])
    assert status == 400 and body["ok"] is False


BAD_BODIES = {
    "lone surrogate in page title": b'{"page": {"title": "a\\ud800b"}}',
    "lone surrogate in name": b'{"name": "\\udfff"}',
    "nested thousands deep": b'{"page": ' + b"[" * 3000 + b"]" * 3000 + b"}",
    "nested seven deep": b'{"page": {"a": [[[[[1]]]]]}}',
    "NaN": b'{"name": NaN}',
    "not UTF-8": b'{"name": "\xff"}',
}


@pytest.mark.parametrize("route", ["/api/conversations", "/api/pins/redeem", "/api/pins"])
@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
async def test_json_bodies_that_cannot_be_read_are_bad_requests_on_every_route(
    harness: Harness, route: str, body: bytes
) -> None:
    token = await harness.agent_token() if route == "/api/pins" else None
    status, answer = await harness.request(
        "POST", route, token, data=body, headers={"Content-Type": "application/json"}
    )
    assert status == 400 and answer["error"]["code"] == "bad_request", answer
    assert set(answer["error"]) == {"code", "message"}


LENIENT_BODIES = {
    "name over 80": ("/api/conversations", {"name": "n" * 81}),
    "page url over 500": ("/api/conversations", {"page": {"url": "https://s.test/" + "u" * 500}}),
    "page with an unknown key": (
        "/api/conversations",
        {"page": {"url": "https://s.test/", "referrer": "x"}},
    ),
    "locale over 35": ("/api/conversations", {"locale": "x" * 36}),
    "caller name over 80": ("/api/pins/redeem", {"pin": "123456", "name": "n" * 81}),
}


@pytest.mark.parametrize(("route", "body"), LENIENT_BODIES.values(), ids=LENIENT_BODIES.keys())
async def test_bodies_outside_the_documented_format_are_refused_not_cut(
    harness: Harness, route: str, body: dict[str, Any]
) -> None:
    status, answer = await harness.request("POST", route, json=body)
    assert status == 400 and answer["error"]["code"] == "bad_request", answer
    assert (await harness.request("POST", "/api/conversations", json={"name": "n" * 80}))[0] == 201


async def test_who_may_ask_is_answered_before_what_is_asked(harness: Harness) -> None:
    """Authentication (401), then authorisation (403), then the body or query (400): someone
    who may not ask learns nothing from the answer to a bad request, not even that it is bad;
    a member's bad request is 400."""
    cid, customer, agent = await harness.session()
    stranger = (await harness.open_conversation())["token"]
    other_agent = await harness.agent_token("Bea")
    at = f"/api/conversations/{cid}"
    asked = [
        ("POST", f"{at}/transcript/email", {"email": 5}, customer.token, [stranger, agent.token]),
        ("PUT", f"{at}/visitor", {"name": 5}, customer.token, [stranger]),
        ("POST", f"{at}/rating", {"score": 9}, customer.token, [stranger]),
        ("POST", f"{at}/transfer", {"to": 5}, agent.token, [other_agent]),
        ("POST", f"{at}/notes", {"text": ""}, agent.token, [other_agent]),
        ("POST", f"{at}/media?upload_id=a/b", None, customer.token, [stranger]),
        ("POST", f"{at}/annotated?upload_id=a/b", None, customer.token, [stranger]),
    ]
    status, reply = await harness.request(
        "POST", "/api/replies", agent.token, json={"shortcut": "hi", "text": "Hello"}
    )
    assert status == 201, reply
    asked.append(("PUT", f"/api/replies/{reply['id']}", {"text": 5}, agent.token, [other_agent]))
    for method, path, bad, member, others in asked:
        status, answer = await harness.request(method, path, json=bad)
        assert (status, answer["error"]["code"]) == (401, "unauthorized"), (path, answer)
        for token in others:
            status, answer = await harness.request(method, path, token, json=bad)
            assert (status, answer["error"]["code"]) == (403, "forbidden"), (path, answer)
        status, answer = await harness.request(method, path, member, json=bad)
        assert (status, answer["error"]["code"]) == (400, "bad_request"), (path, answer)


@pytest.mark.parametrize("blank", ["   ", "\t\n", "\u3000"])
async def test_a_rating_comment_of_blanks_is_refused(harness: Harness, blank: str) -> None:
    """Left out or something: a comment of blanks is `400`, as a transfer's blank note, never
    kept as a comment that shows as nothing."""
    cid, customer, agent = await harness.session()
    status, _ = await harness.request("POST", f"/api/conversations/{cid}/close", agent.token)
    assert status == 200
    path = f"/api/conversations/{cid}/rating"
    status, answer = await harness.request(
        "POST", path, customer.token, json={"score": 4, "comment": blank}
    )
    assert (status, answer["error"]["code"]) == (400, "bad_request"), answer
    status, answer = await harness.request("POST", path, customer.token, json={"score": 4})
    assert status == 201 and answer["event"]["data"] == {"score": 4}, answer


async def test_event_formats_are_exact(harness: Harness) -> None:
    cid, customer, agent = await harness.session()
    await agent.ok("viewer.show", {"conversation_id": cid, "media_id": await harness.product()})
    stroke = {"conversation_id": cid, "stroke_id": "s1", "width": 0.01}
    for color in ("#ff0000\n", "#ff0000 ", "ff0000", "#FF00001"):
        refused = await customer.call("stroke.begin", {**stroke, "color": color})
        assert refused["error"]["code"] == "bad_request", color
    refused = await customer.call(
        "stroke.begin", {**stroke, "stroke_id": "s1\n", "color": "#ff0000"}
    )
    assert refused["error"]["code"] == "bad_request"
    await customer.ok("stroke.begin", {**stroke, "color": "#ff0000"})
    other = (await harness.open_conversation())["id"]
    for stranger in (other, "c_nope"):
        left = await customer.call("leave", {"conversation_id": stranger})
        assert left["error"]["code"] == "forbidden", stranger
    await customer.ok("leave", {"conversation_id": cid})
    assert (await customer.call("leave", {"conversation_id": cid}))["error"]["code"] == "forbidden"


async def test_rest_unknown_route_is_json_not_found(harness: Harness) -> None:
    status, body = await harness.request("GET", "/api/nothing-here")
    assert status == 404 and body["error"]["code"] == "not_found"


async def test_malformed_json_packet_leaves_server_and_others_fine(harness: Harness) -> None:
    cid, customer, agent = await harness.session()
    await customer.sio.eio.send('2["chat.send",{"conversation_id": NaN, "text": "x"')
    await customer.sio.eio.send('2["chat.send",{"conversation_id":"' + cid + '","text":NaN}]')
    sent = await agent.ok("chat.send", {"conversation_id": cid, "text": "still here"})
    joined = await (await harness.peer(agent.token)).ok("join", {"conversation_id": cid})
    assert joined["seq"] == sent["seq"]
    assert [m["data"]["text"] for m in joined["snapshot"]["messages"]] == ["still here"]


def _default(name: str) -> Any:
    return next(f.default for f in dataclasses.fields(Config) if f.name == name)


def test_protocol_documents_each_limit_with_its_config_default() -> None:
    text = PROTOCOL.read_text()
    rows = {line.split("|")[1].strip(): line for line in text.splitlines() if line.startswith("|")}
    for name in ("max_strokes", "max_points_per_stroke", "replay_limit"):
        row = rows.get(f"`{name}`")
        assert row is not None, f"{name} has no row in a limits table"
        assert row.rstrip(" |").endswith(f"| {_default(name)}"), row
    for name in ("chat_rate", "stroke_rate", "other_rate"):
        limit = _default(name)
        assert isinstance(limit, RateLimit)
        field = f"`{name}` (`{limit.rate:g}/{limit.burst:g}`)"
        figures = f"| {limit.rate:g}/s | {limit.burst:g} | {field} |"
        assert any(figures in row for row in rows.values()), figures


def test_protocol_states_the_media_id_format_the_code_requires() -> None:
    text = " ".join(PROTOCOL.read_text().split())
    (pattern,) = [m.pattern for m in get_args(c.MediaId)[1:] if isinstance(m, msgspec.Meta)]
    assert pattern == r"^[0-9a-f]{64}\Z"
    assert "an upload's media id exactly 64 of `0–9 a–f`" in text
    (ref,) = [m.pattern for m in get_args(c.MediaRef)[1:] if isinstance(m, msgspec.Meta)]
    assert ref == r"^[A-Za-z0-9_-]{1,64}\Z"
    assert re.search(r"`viewer\.show`'s `media_id` names either, so it takes 1–64 of", text)
