"""The REST routes, over real HTTP on a loopback port."""

from __future__ import annotations

from covisor.app.http import create_app
from covisor.config import Config
from tests.conftest import Harness, ManualClock, Peer, serving


async def test_healthz_answers_ok(harness: Harness) -> None:
    assert await harness.request("GET", "/healthz") == (200, {"status": "ok"})


async def test_open_conversation_returns_id_and_scoped_token(harness: Harness) -> None:
    opened = await harness.open_conversation(
        page={"url": "https://shop.test/p/9", "title": "Boots"}
    )
    assert opened["id"].startswith("c_") and opened["expires_at"] > 0
    status, me = await harness.request("GET", "/api/me", opened["token"])
    assert status == 200 and me["role"] == "customer" and me["conversation_id"] == opened["id"]
    status, summary = await harness.request(
        "GET", f"/api/conversations/{opened['id']}", opened["token"]
    )
    assert summary["status"] == "waiting" and summary["page"]["title"] == "Boots"


async def test_open_conversation_refuses_unknown_fields(harness: Harness) -> None:
    status, body = await harness.request("POST", "/api/conversations", json={"admin": True})
    assert status == 400 and body["error"]["code"] == "bad_request"


async def test_queue_lists_waiting_conversations_to_agents_only(harness: Harness) -> None:
    opened = await harness.open_conversation(name="Maria")
    agent = await harness.agent_token()
    status, body = await harness.request("GET", "/api/conversations?status=waiting", agent)
    assert status == 200 and [c["name"] for c in body["conversations"]] == ["Maria"]
    status, body = await harness.request("GET", "/api/conversations", opened["token"])
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, body = await harness.request("GET", "/api/conversations")
    assert status == 401 and body["error"]["code"] == "unauthorized"


async def test_accept_moves_conversation_to_agents_active_list(harness: Harness) -> None:
    opened = await harness.open_conversation()
    agent = await harness.agent_token("Ann")
    status, summary = await harness.request(
        "POST", f"/api/conversations/{opened['id']}/accept", agent
    )
    assert status == 200 and summary["status"] == "active" and summary["agent_name"] == "Ann"
    _, waiting = await harness.request("GET", "/api/conversations?status=waiting", agent)
    _, active = await harness.request("GET", "/api/conversations?status=active", agent)
    assert waiting["conversations"] == [] and [c["id"] for c in active["conversations"]] == [
        opened["id"]
    ]
    other = await harness.agent_token("Bob")
    status, body = await harness.request("POST", f"/api/conversations/{opened['id']}/accept", other)
    assert status == 409 and body["error"]["code"] == "conflict"


async def test_accept_unknown_conversation_is_not_found(harness: Harness) -> None:
    agent = await harness.agent_token()
    status, body = await harness.request("POST", "/api/conversations/c_nope/accept", agent)
    assert status == 404 and body["error"]["code"] == "not_found"


async def test_transcript_lists_chat_for_members_only(harness: Harness) -> None:
    cid, customer, agent = await harness.session()
    await customer.ok("chat.send", {"conversation_id": cid, "text": "box arrived broken"})
    await agent.ok("chat.send", {"conversation_id": cid, "text": "sorry! send a photo"})
    status, body = await harness.request("GET", f"/api/conversations/{cid}/transcript", agent.token)
    assert status == 200
    assert [m["data"]["text"] for m in body["messages"]] == [
        "box arrived broken",
        "sorry! send a photo",
    ]
    stranger = await harness.open_conversation()
    status, body = await harness.request(
        "GET", f"/api/conversations/{cid}/transcript", stranger["token"]
    )
    assert status == 403


async def test_close_ends_the_conversation(harness: Harness) -> None:
    cid, customer, agent = await harness.session()
    status, summary = await harness.request("POST", f"/api/conversations/{cid}/close", agent.token)
    assert status == 200 and summary["status"] == "closed"
    refused = await customer.call("chat.send", {"conversation_id": cid, "text": "hello?"})
    assert refused["error"]["code"] == "conflict"
    status, _ = await harness.request("POST", f"/api/conversations/{cid}/close", customer.token)
    assert status == 403


async def test_cross_origin_preflight_is_answered_for_the_api(harness: Harness) -> None:
    status, _ = await harness.request(
        "OPTIONS",
        "/api/conversations",
        headers={"Origin": "https://shop.test", "Access-Control-Request-Method": "POST"},
    )
    assert status == 204
    async with harness.http.post(
        f"{harness.url}/api/conversations", json={}, headers={"Origin": "https://shop.test"}
    ) as response:
        assert response.status == 201
        assert response.headers["Access-Control-Allow-Origin"] == "*"


async def test_demo_catalogue_serves_media_but_not_its_generator(harness: Harness) -> None:
    async with harness.http.get(f"{harness.url}/media/catalogue.json") as response:
        assert response.status == 200
    for path in ("/media/generate.py", "/media/..%2Fpyproject.toml", "/media/.hidden.jpg"):
        async with harness.http.get(harness.url + path) as response:
            assert response.status == 404, path


async def test_a_shopper_renews_their_token_for_a_full_lifetime(harness: Harness) -> None:
    opened = await harness.open_conversation()
    config = harness.services.config
    assert config.shopper_token_ttl == 30 * 24 * 3600
    status, renewed = await harness.request("POST", "/api/me/token", opened["token"])
    assert status == 200 and renewed["token"] != opened["token"]
    assert renewed["expires_at"] >= opened["expires_at"]
    status, me = await harness.request("GET", "/api/me", renewed["token"])
    assert status == 200 and me["conversation_id"] == opened["id"]
    assert (await harness.request("POST", "/api/me/token", "g.forged.token"))[0] == 401
    agent = await harness.agent_token()
    status, refused = await harness.request("POST", "/api/me/token", agent)
    assert status == 400 and refused["error"]["code"] == "bad_request"


async def test_a_conversation_opened_for_a_phone_pin_waits_outside_the_queue(
    harness: Harness,
) -> None:
    agent = await harness.agent_token()
    opened = await harness.open_conversation(by_phone=True)
    queue = await harness.peer(agent)
    _, waiting = await harness.request("GET", "/api/conversations?status=waiting", agent)
    assert opened["id"] not in [c["id"] for c in waiting["conversations"]]
    status, summary = await harness.request(
        "GET", f"/api/conversations/{opened['id']}", opened["token"]
    )
    assert status == 200 and summary["queued"] is False and summary["status"] == "waiting"

    shopper = await harness.peer(opened["token"])
    await shopper.ok("join", {"conversation_id": opened["id"]})
    await shopper.ok("chat.send", {"conversation_id": opened["id"], "text": "still there?"})

    def queued(peer: Peer) -> bool:
        return any(
            name == "queue" and opened["id"] in [c["id"] for c in data["conversations"]]
            for name, data in peer.pushes
        )

    await queue.wait_for(queued)
    _, waiting = await harness.request("GET", "/api/conversations?status=waiting", agent)
    assert opened["id"] in [c["id"] for c in waiting["conversations"]]


async def test_the_widget_learns_the_queue_and_the_typical_reply_time(config: Config) -> None:
    clock = ManualClock()
    async with serving(await create_app(config, clock=clock)) as h:
        assert (await h.request("GET", "/api/wait"))[1] == {"waiting": 0, "reply_seconds": None}
        agent = await h.agent_token()
        for delay in (90, 30, 45):
            opened = await h.open_conversation()
            clock.advance(delay)
            await h.accepted(opened["id"], agent)
        await h.open_conversation()
        await h.open_conversation(by_phone=True)
        status, wait = await h.request("GET", "/api/wait")
    assert status == 200 and wait == {"waiting": 1, "reply_seconds": 45.0}
