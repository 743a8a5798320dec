"""The console's history over the real server: the shop's closed conversations searched and
paged by any agent, and opened read-only (REST, the transcript, a socket join) by any agent."""

from __future__ import annotations

from typing import Any

from tests.conftest import Harness


async def _closed(h: Harness, agent: str, said: str, **visitor: Any) -> tuple[str, dict[str, Any]]:
    """A conversation the shopper opened and wrote `said` in, which `agent` took and closed."""
    opened = await h.open_conversation(visitor=visitor) if visitor else await h.open_conversation()
    cid = opened["id"]
    await h.accepted(cid, agent)
    shopper = await h.peer(opened["token"])
    await shopper.ok("join", {"conversation_id": cid})
    await shopper.ok("chat.send", {"conversation_id": cid, "text": said})
    status, body = await h.request("POST", f"/api/conversations/{cid}/close", agent)
    assert status == 200, body
    return cid, opened


async def _search(h: Harness, token: str, query: str) -> tuple[int, Any]:
    return await h.request("GET", f"/api/conversations?status=closed&{query}", token)


async def test_every_agent_searches_the_shops_closed_conversations(harness: Harness) -> None:
    ann, bob = await harness.agent_token("Ann"), await harness.agent_token("Bob")
    first, _ = await _closed(harness, ann, "Do you have the boots in 38?", name="Ana Ruiz")
    second, _ = await _closed(harness, bob, "Where is my order?", email="kim@example.com")
    bob_id = (await harness.request("GET", "/api/me", bob))[1]["id"]
    status, body = await _search(harness, ann, "")
    assert status == 200
    assert [c["id"] for c in body["conversations"]] == [second, first], "Bob's too, newest first"
    assert body["next_offset"] is None
    assert [c["id"] for c in (await _search(harness, ann, "q=BOOTS"))[1]["conversations"]] == [
        first
    ]
    assert [c["id"] for c in (await _search(harness, ann, "q=ruiz"))[1]["conversations"]] == [first]
    by_mail = (await _search(harness, ann, "q=kim%40example"))[1]["conversations"]
    assert [c["id"] for c in by_mail] == [second]
    by_agent = (await _search(harness, ann, f"agent={bob_id}"))[1]["conversations"]
    assert [c["id"] for c in by_agent] == [second]
    assert (await _search(harness, ann, "rating=5"))[1]["conversations"] == []
    page = (await _search(harness, ann, "limit=1"))[1]
    assert [c["id"] for c in page["conversations"]] == [second] and page["next_offset"] == 1
    page = (await _search(harness, ann, "limit=1&offset=1"))[1]
    assert [c["id"] for c in page["conversations"]] == [first] and page["next_offset"] is None
    today = (await _search(harness, ann, "from=2000-01-01&to=2999-12-31&tz=Europe/Warsaw"))[1]
    assert len(today["conversations"]) == 2
    assert (await _search(harness, ann, "to=2000-01-01"))[1]["conversations"] == []


async def test_a_bad_search_is_refused_with_the_parameter_named(harness: Harness) -> None:
    agent = await harness.agent_token()
    for query, name in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("offset=10001", "offset"),
        ("offset=-1", "offset"),
        ("rating=6", "rating"),
        ("from=yesterday", "from"),
        ("to=2026-02-30", "to"),
        ("tz=Mars/Olympus", "tz"),
        ("q=" + "x" * 201, "q"),
        ("q=a%00b", "q"),
        ("agent=a%00b", "agent"),
    ]:
        status, body = await _search(harness, agent, query)
        assert status == 400 and body["error"]["code"] == "bad_request", query
        assert name in body["error"]["message"], (query, body)
    opened = await harness.open_conversation()
    status, _ = await _search(harness, opened["token"], "")
    assert status == 403, "shoppers have no history"
    status, _ = await _search(harness, "", "")
    assert status == 401


async def test_any_agent_reads_a_closed_conversation_and_writes_nothing(harness: Harness) -> None:
    ann, bob = await harness.agent_token("Ann"), await harness.agent_token("Bob")
    opened = await harness.open_conversation()
    cid = opened["id"]
    await harness.accepted(cid, ann)
    status, _ = await harness.request("GET", f"/api/conversations/{cid}", bob)
    assert status == 403, "not while it is Ann's and open"
    bob_peer = await harness.peer(bob)
    refused = await bob_peer.call("join", {"conversation_id": cid})
    assert refused["error"]["code"] == "forbidden"
    shopper = await harness.peer(opened["token"])
    await shopper.ok("join", {"conversation_id": cid})
    await shopper.ok("chat.send", {"conversation_id": cid, "text": "Hola"})
    await harness.request("POST", f"/api/conversations/{cid}/notes", ann, json={"text": "VIP"})
    await harness.request("POST", f"/api/conversations/{cid}/close", ann)

    status, summary = await harness.request("GET", f"/api/conversations/{cid}", bob)
    assert status == 200 and summary["status"] == "closed"
    status, transcript = await harness.request("GET", f"/api/conversations/{cid}/transcript", bob)
    assert status == 200 and [m["data"]["text"] for m in transcript["messages"]] == ["Hola"]
    joined = await bob_peer.ok("join", {"conversation_id": cid})
    events = _all_events(joined["snapshot"])
    assert any(e["type"] == "note.added" for e in events), "its notes, for agents"
    refused = await bob_peer.call("chat.send", {"conversation_id": cid, "text": "late"})
    assert refused["error"]["code"] == "forbidden"
    typing = await bob_peer.call("chat.typing", {"conversation_id": cid, "typing": True})
    assert typing["error"]["code"] == "forbidden", "a reader sends the others nothing"
    ann_peer = await harness.peer(ann)
    seen = await ann_peer.ok("join", {"conversation_id": cid})
    assert [a["id"] for a in seen["online"]] != [] and all(
        a["role"] != "agent" for a in seen["online"]
    ), "nor is announced: only the shopper is online"
    status, body = await harness.request(
        "POST", f"/api/conversations/{cid}/notes", bob, json={"text": "mine"}
    )
    assert status == 403, body
    status, _ = await harness.request("POST", f"/api/conversations/{cid}/close", bob)
    assert status in (403, 409)


def _all_events(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    """Every event a join's snapshot holds, wherever it keeps them."""
    found: list[dict[str, Any]] = []
    for value in snapshot.values():
        if isinstance(value, list):
            found += [item for item in value if isinstance(item, dict) and "type" in item]
    return found
