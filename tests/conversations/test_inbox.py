"""The agent's inbox: who the shopper is, unread counts, internal notes, transfers, ratings."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from covisor.conversations.shopper import SHOP_SECRET, ShopIdentity, device_class, language_of
from tests.conftest import Harness, Peer

PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36"
)
TABLET = "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile"
DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"


def test_device_classes_come_from_the_user_agent() -> None:
    assert device_class(PHONE) == "phone"
    assert device_class(IPHONE) == "phone"
    assert device_class(TABLET) == "tablet"
    assert device_class("Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X)") == "tablet"
    assert device_class(DESKTOP) == "desktop"
    assert device_class(None) == "desktop"


def test_language_is_the_widgets_locale_else_the_browsers() -> None:
    assert language_of("es-es", "de-DE,de;q=0.9") == "es-ES"
    assert language_of(None, "pl;q=1, en;q=0.5") == "pl"
    assert language_of("not a tag!", "fr-FR") == "fr-FR"
    assert language_of(None, None) is None


async def shop(h: Harness) -> ShopIdentity:
    return ShopIdentity(await h.services.store.secret(SHOP_SECRET, b""))


async def test_a_summary_says_who_the_shopper_is(harness: Harness) -> None:
    async with harness.http.post(
        f"{harness.url}/api/conversations",
        json={"page": {"url": "https://shop.test/p/9", "title": "Boots"}, "locale": "es-ES"},
        headers={"User-Agent": PHONE},
    ) as response:
        opened = await response.json()
    status, summary = await harness.request("GET", f"/api/conversations/{opened['id']}", None)
    assert status == 401
    agent = await harness.agent_token()
    status, summary = await harness.request("GET", "/api/conversations?status=waiting", agent)
    (found,) = summary["conversations"]
    assert found["visitor"] == {
        "name": None,
        "email": None,
        "verified": False,
        "customer_id": None,
        "device": "phone",
        "language": "es-ES",
    }
    assert found["page"] == {"url": "https://shop.test/p/9", "title": "Boots"}
    assert found["name"] == "Shopper"
    assert found["last_message"] is None and found["unread"] == 0


async def test_a_signed_identity_is_verified_and_a_forged_one_is_not(harness: Harness) -> None:
    signer = await shop(harness)
    claim = {"name": "Ana Ruiz", "email": "ana@example.es", "customer_id": "cus_42"}
    good = await harness.open_conversation(visitor={**claim, "signature": signer.sign("cus_42")})
    forged = await harness.open_conversation(visitor={**claim, "signature": "0" * 64})
    missing = await harness.open_conversation(visitor=claim)
    # Not hex at all: compared as bytes, so unverified rather than a server error.
    odd = await harness.open_conversation(visitor={**claim, "signature": "é" * 64})
    agent = await harness.agent_token()
    summaries = {}
    for opened in (good, forged, missing, odd):
        status, body = await harness.request("GET", f"/api/conversations/{opened['id']}", agent)
        assert status == 403, "not the agent's yet"
        status, body = await harness.request(
            "GET", f"/api/conversations/{opened['id']}", opened["token"]
        )
        assert status == 200
        summaries[opened["id"]] = body["visitor"]
    assert summaries[good["id"]]["verified"] is True
    assert summaries[good["id"]]["customer_id"] == "cus_42"
    for opened in (forged, missing, odd):
        visitor = summaries[opened["id"]]
        assert visitor["verified"] is False and visitor["customer_id"] is None
        assert visitor["name"] == "Ana Ruiz", "kept as the shopper's unverified word"

    earlier = await harness.open_conversation(visitor={**claim, "signature": signer.sign("cus_42")})
    status, body = await harness.request("GET", f"/api/conversations/{good['id']}/earlier", agent)
    assert status == 200
    assert [c["id"] for c in body["conversations"]] == [earlier["id"]]
    for opened in (forged, missing):
        status, body = await harness.request(
            "GET", f"/api/conversations/{opened['id']}/earlier", agent
        )
        assert body == {"conversations": []}, "an unsigned customer id opens no history"
    status, body = await harness.request(
        "GET", f"/api/conversations/{good['id']}/earlier", good["token"]
    )
    assert status == 403


async def test_a_shopper_identifies_after_opening(harness: Harness) -> None:
    signer = await shop(harness)
    opened = await harness.open_conversation(name="Guest")
    cid = opened["id"]
    status, body = await harness.request(
        "PUT",
        f"/api/conversations/{cid}/visitor",
        opened["token"],
        json={"name": "Jan", "customer_id": "c-7", "signature": signer.sign("c-7")},
    )
    assert status == 200, body
    assert body["name"] == "Jan"
    assert body["visitor"]["verified"] is True and body["visitor"]["customer_id"] == "c-7"
    status, body = await harness.request(
        "PUT", f"/api/conversations/{cid}/visitor", opened["token"], json={"email": "nope"}
    )
    assert status == 400 and body["error"]["code"] == "bad_request"


async def test_unread_counts_follow_the_agents_read_marks(harness: Harness) -> None:
    cid, customer, agent = await harness.session()
    token = agent.token
    for text in ("Hola", "¿Tienen la talla 42?", "Gracias"):
        await customer.ok("chat.send", {"conversation_id": cid, "text": text})

    async def mine() -> dict[str, Any]:
        status, body = await harness.request("GET", "/api/conversations?status=active", token)
        (summary,) = body["conversations"]
        return summary  # type: ignore[no-any-return]

    summary = await mine()
    assert summary["unread"] == 3
    assert summary["last_message"]["text"] == "Gracias"
    assert summary["last_message"]["author"]["role"] == "customer"
    last = summary["last_message"]["seq"]
    await agent.ok("chat.read", {"conversation_id": cid, "seq": last - 1})
    assert (await mine())["unread"] == 1
    await agent.ok("chat.read", {"conversation_id": cid, "seq": last})
    await agent.ok("chat.send", {"conversation_id": cid, "text": "Sí, la tenemos"})
    summary = await mine()
    assert summary["unread"] == 0, "read marks are the server's: right after a reload"
    assert summary["last_message"]["author"]["role"] == "agent"


async def test_notes_never_reach_a_shopper_or_a_caller(harness: Harness) -> None:
    cid, customer, agent = await harness.session()
    status, issued = await harness.request("POST", f"/api/conversations/{cid}/pins", agent.token)
    assert status == 201, issued
    status, redeemed = await harness.request(
        "POST", "/api/pins/redeem", None, json={"pin": issued["display"], "name": "Ana"}
    )
    assert status == 200, redeemed
    caller = await harness.peer(redeemed["token"])
    await caller.ok("join", {"conversation_id": cid})
    await customer.ok("chat.send", {"conversation_id": cid, "text": "Is it waterproof?"})
    secret = "VIP customer, refund without asking SECRET-NOTE-7"
    status, body = await harness.request(
        "POST", f"/api/conversations/{cid}/notes", agent.token, json={"text": secret}
    )
    assert status == 201, body
    note_seq = body["event"]["seq"]
    assert body["event"]["type"] == "note.added"
    status, body = await harness.request(
        "POST", f"/api/conversations/{cid}/notes", customer.token, json={"text": "x"}
    )
    assert status == 403
    await customer.wait_seq(note_seq)
    await caller.wait_seq(note_seq)
    stand_in = next(e for e in customer.events if e["seq"] == note_seq)
    assert stand_in["type"] == "internal" and stand_in["data"] == {} and stand_in["actor"] == {}

    other_agent_view = await harness.peer(agent.token)
    joined = await other_agent_view.ok("join", {"conversation_id": cid})
    assert [n["data"]["text"] for n in joined["snapshot"]["notes"]] == [secret]

    late = await harness.peer(customer.token)
    replayed = await late.ok("join", {"conversation_id": cid, "last_seq": 0})
    snapshot = await late.ok("join", {"conversation_id": cid})
    history = await late.ok("chat.history", {"conversation_id": cid})
    status, transcript = await harness.request(
        "GET", f"/api/conversations/{cid}/transcript", customer.token
    )
    seen_by_shopper = [customer.events, replayed, snapshot, history, transcript]
    assert "notes" not in snapshot["snapshot"]
    assert any(e["type"] == "internal" for e in replayed["events"])
    seen_by_shopper.append(caller.events)
    seen_by_shopper.append(await caller.ok("join", {"conversation_id": cid, "last_seq": 0}))
    assert secret not in json.dumps(seen_by_shopper)
    seqs = sorted(e["seq"] for e in replayed["events"])
    assert seqs == list(range(1, seqs[-1] + 1)), "the shopper's order has no gap"


async def test_a_closed_conversation_is_rated_once_by_its_shopper(harness: Harness) -> None:
    cid, customer, agent = await harness.session()
    rating = {"score": 5, "comment": "Rápido y amable"}
    status, body = await harness.request(
        "POST", f"/api/conversations/{cid}/rating", customer.token, json=rating
    )
    assert status == 409, "not before it is closed"
    await harness.request("POST", f"/api/conversations/{cid}/close", agent.token)
    for token, expected in ((agent.token, 403), (customer.token, 201), (customer.token, 409)):
        status, body = await harness.request(
            "POST", f"/api/conversations/{cid}/rating", token, json=rating
        )
        assert status == expected, body
    status, body = await harness.request(
        "POST", f"/api/conversations/{cid}/rating", customer.token, json={"score": 9}
    )
    assert status == 400
    status, summary = await harness.request("GET", f"/api/conversations/{cid}", agent.token)
    assert summary["rating"] == rating
    await agent.wait_for(lambda p: bool(p.of_type("conversation.rated")))


async def test_a_transfer_hands_over_history_viewer_and_notes(harness: Harness) -> None:
    cid, customer, first = await harness.session()
    product = await harness.product()
    await first.ok("viewer.show", {"conversation_id": cid, "media_id": product})
    await first.ok("viewer.transform", {"conversation_id": cid, "zoom": 2, "cx": 0.3, "cy": 0.4})
    await customer.ok("chat.send", {"conversation_id": cid, "text": "Which size?"})
    second_id, second_token = await harness.services.agents.add("Bea")
    second = await harness.peer(second_token)
    before = await first.ok("join", {"conversation_id": cid})

    status, body = await harness.request(
        "POST",
        f"/api/conversations/{cid}/transfer",
        customer.token,
        json={"to": second_id, "note": "x"},
    )
    assert status == 403
    status, body = await harness.request(
        "POST",
        f"/api/conversations/{cid}/transfer",
        first.token,
        json={"to": "a_nobody", "note": None},
    )
    assert status == 404
    status, summary = await harness.request(
        "POST",
        f"/api/conversations/{cid}/transfer",
        first.token,
        json={"to": second_id, "note": "Wants size 42 in blue"},
    )
    assert status == 200, summary
    assert summary["agent_id"] == second_id and summary["status"] == "active"

    await customer.wait_for(lambda p: bool(p.of_type("conversation.transferred")))
    (moved,) = customer.of_type("conversation.transferred")
    assert moved["data"]["to"] == {"id": second_id, "name": "Bea"}
    await second.wait_for(lambda p: any(name == "assigned" for name, _ in p.pushes))
    joined = await second.ok("join", {"conversation_id": cid})
    after = joined["snapshot"]
    assert [n["data"]["text"] for n in after["notes"]] == ["Wants size 42 in blue"]
    for key in ("media", "transform", "strokes", "messages"):
        assert after[key] == before["snapshot"][key], key

    typing = await first.call("chat.typing", {"conversation_id": cid, "typing": True})
    assert typing["ok"] is False and typing["error"]["code"] == "forbidden"
    refused = await first.call("chat.send", {"conversation_id": cid, "text": "still here?"})
    assert refused["error"]["code"] == "forbidden"
    sent = await customer.ok("chat.send", {"conversation_id": cid, "text": "Thanks Bea"})
    await second.wait_seq(sent["seq"])
    assert all(e["seq"] < sent["seq"] for e in first.events), "the agent before hears no more"

    status, summary = await harness.request(
        "POST", f"/api/conversations/{cid}/transfer", second_token, json={"to": None}
    )
    assert status == 200 and summary["status"] == "waiting" and summary["agent_id"] is None
    status, queue = await harness.request("GET", "/api/conversations?status=waiting", first.token)
    assert [c["id"] for c in queue["conversations"]] == [cid]
    seqs = sorted(e["seq"] for e in customer.events)
    assert seqs == list(range(seqs[0], seqs[-1] + 1)), "no gap and no repeat for the shopper"


async def test_the_shopper_sees_their_place_in_the_queue(harness: Harness) -> None:
    first = await harness.open_conversation()
    second = await harness.open_conversation()
    status, body = await harness.request(
        "GET", f"/api/conversations/{second['id']}/queue", second["token"]
    )
    assert status == 200
    assert body["place"] == 2 and body["waiting"] == 2
    agent = await harness.agent_token()
    await harness.accepted(first["id"], agent)
    status, body = await harness.request(
        "GET", f"/api/conversations/{first['id']}/queue", first["token"]
    )
    assert body["place"] is None
    status, body = await harness.request(
        "GET", f"/api/conversations/{second['id']}/queue", first["token"]
    )
    assert status == 403
    by_phone = await harness.open_conversation(by_phone=True)
    status, body = await harness.request(
        "GET", f"/api/conversations/{by_phone['id']}/queue", by_phone["token"]
    )
    assert body["place"] is None, "not in the queue until the shopper writes"


async def test_agents_statuses_follow_their_consoles(harness: Harness) -> None:
    ann_id, ann = await harness.services.agents.add("Ann", capacity=2)
    bob_id, bob = await harness.services.agents.add("Bob")

    async def team() -> dict[str, dict[str, Any]]:
        status, body = await harness.request("GET", "/api/agents", ann)
        assert status == 200
        return {a["id"]: a for a in body["agents"]}

    assert (await team())[ann_id] == {
        "id": ann_id,
        "name": "Ann",
        "status": "offline",
        "open": 0,
        "capacity": 2,
    }
    console: Peer = await harness.peer(ann)
    assert (await team())[ann_id]["status"] == "online"
    status, body = await harness.request("PUT", "/api/me/status", ann, json={"status": "away"})
    assert status == 200 and body == {"status": "away"}
    assert (await team())[ann_id]["status"] == "away"
    status, body = await harness.request("PUT", "/api/me/status", bob, json={"status": "online"})
    assert body == {"status": "offline"}, "no console open: offline whatever was chosen"
    status, body = await harness.request("PUT", "/api/me/status", ann, json={"status": "busy"})
    assert status == 400
    await console.close()
    harness.peers.remove(console)
    for _ in range(100):
        if (await team())[ann_id]["status"] == "offline":
            break
        await asyncio.sleep(0.02)
    assert (await team())[ann_id]["status"] == "offline", "the server saw the console go"
    opened = await harness.open_conversation()
    status, _ = await harness.request("GET", "/api/agents", opened["token"])
    assert status == 403


@pytest.mark.parametrize("note", ["   ", "\t\n", "\u3000"])
async def test_a_transfer_with_a_blank_note_is_refused_as_a_blank_note_is(
    harness: Harness, note: str
) -> None:
    cid, _, agent = await harness.session()
    path = f"/api/conversations/{cid}"
    status, alone = await harness.request("POST", f"{path}/notes", agent.token, json={"text": note})
    assert (status, alone["error"]["code"]) == (400, "bad_request"), alone
    body = {"to": None, "note": note}
    status, answer = await harness.request("POST", f"{path}/transfer", agent.token, json=body)
    assert (status, answer["error"]) == (400, alone["error"]), answer
    status, summary = await harness.request("GET", path, agent.token)
    assert status == 200 and summary["status"] == "active", "not handed back to the queue"
