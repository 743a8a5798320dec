"""Saved replies over HTTP on a real server: personal and shared, shortcuts, catalogue items."""

from __future__ import annotations

import secrets
from typing import Any

from covisor.kernel.identity import agent_token_digest
from covisor.store.records import AgentRecord
from tests.conftest import Harness


async def admin_token(harness: Harness, name: str = "Ada") -> str:
    token = "a." + secrets.token_urlsafe(24)
    await harness.services.store.add_agent(
        AgentRecord("a_" + secrets.token_hex(6), name, agent_token_digest(token), 0.0, role="admin")
    )
    return token


async def create(harness: Harness, token: str, **body: Any) -> dict[str, Any]:
    status, created = await harness.request("POST", "/api/replies", token, json=body)
    assert status == 201, created
    result: dict[str, Any] = created
    return result


async def listed(harness: Harness, token: str) -> list[dict[str, Any]]:
    status, body = await harness.request("GET", "/api/replies", token)
    assert status == 200, body
    replies: list[dict[str, Any]] = body["replies"]
    return replies


async def test_agent_creates_lists_changes_and_deletes_a_reply(harness: Harness) -> None:
    token = await harness.agent_token("Ann")
    assert await listed(harness, token) == []
    created = await create(harness, token, shortcut="Hello", text="Hi {name}, I'm {agent}!")
    assert created["id"].startswith("r_")
    assert created["shortcut"] == "hello"
    assert created["shared"] is False
    assert created["catalogue_id"] is None and created["catalogue_media_id"] is None
    assert set(created) == {
        "id",
        "shortcut",
        "text",
        "shared",
        "catalogue_id",
        "catalogue_media_id",
        "owner_id",
        "updated_at",
    }
    assert await listed(harness, token) == [created]

    status, changed = await harness.request(
        "PUT", f"/api/replies/{created['id']}", token, json={"shortcut": "hi", "text": "Hey"}
    )
    assert status == 200, changed
    assert (changed["id"], changed["shortcut"], changed["text"]) == (created["id"], "hi", "Hey")
    assert await listed(harness, token) == [changed]

    status, _ = await harness.request("DELETE", f"/api/replies/{created['id']}", token)
    assert status == 204
    assert await listed(harness, token) == []
    status, gone = await harness.request("DELETE", f"/api/replies/{created['id']}", token)
    assert (status, gone["error"]["code"]) == (404, "not_found")
    status, gone = await harness.request(
        "PUT", f"/api/replies/{created['id']}", token, json={"shortcut": "x", "text": "y"}
    )
    assert (status, gone["error"]["code"]) == (404, "not_found")


async def test_list_is_sorted_by_shortcut(harness: Harness) -> None:
    token = await harness.agent_token()
    for shortcut in ("returns", "address", "hello"):
        await create(harness, token, shortcut=shortcut, text=shortcut)
    assert [r["shortcut"] for r in await listed(harness, token)] == ["address", "hello", "returns"]


async def test_personal_replies_are_their_owners_only(harness: Harness) -> None:
    ann = await harness.agent_token("Ann")
    bob = await harness.agent_token("Bob")
    mine = await create(harness, ann, shortcut="hi", text="Hi from Ann")
    assert await listed(harness, bob) == []
    path = f"/api/replies/{mine['id']}"
    status, refused = await harness.request("PUT", path, bob, json={"shortcut": "hi", "text": "x"})
    assert (status, refused["error"]["code"]) == (403, "forbidden")
    status, refused = await harness.request("DELETE", path, bob)
    assert (status, refused["error"]["code"]) == (403, "forbidden")
    # The same shortcut is Bob's to use for his own.
    await create(harness, bob, shortcut="hi", text="Hi from Bob")
    assert [r["text"] for r in await listed(harness, ann)] == ["Hi from Ann"]


async def test_shared_replies_are_everyones_and_admins_manage_them(harness: Harness) -> None:
    admin = await admin_token(harness)
    agent = await harness.agent_token("Ann")
    status, refused = await harness.request(
        "POST", "/api/replies", agent, json={"shortcut": "hi", "text": "x", "shared": True}
    )
    assert (status, refused["error"]["code"]) == (403, "forbidden")

    shared = await create(harness, admin, shortcut="hours", text="We open at 9.", shared=True)
    assert shared["shared"] is True
    personal = await create(harness, agent, shortcut="hi", text="Hi")
    assert [r["id"] for r in await listed(harness, agent)] == [personal["id"], shared["id"]]
    assert [r["id"] for r in await listed(harness, admin)] == [shared["id"]]

    path = f"/api/replies/{shared['id']}"
    body = {"shortcut": "hours", "text": "We open at 8.", "shared": True}
    status, refused = await harness.request("PUT", path, agent, json=body)
    assert (status, refused["error"]["code"]) == (403, "forbidden")
    status, refused = await harness.request("DELETE", path, agent)
    assert (status, refused["error"]["code"]) == (403, "forbidden")

    other_admin = await admin_token(harness, "Eve")
    status, changed = await harness.request("PUT", path, other_admin, json=body)
    assert status == 200 and changed["text"] == "We open at 8."
    assert changed["owner_id"] == shared["owner_id"]
    status, refused = await harness.request(
        "PUT", path, other_admin, json={**body, "shared": False}
    )
    assert (status, refused["error"]["code"]) == (400, "bad_request")
    status, _ = await harness.request("DELETE", path, other_admin)
    assert status == 204
    assert await listed(harness, agent) == [personal]


async def test_duplicate_shortcut_conflicts_within_its_scope(harness: Harness) -> None:
    admin = await admin_token(harness)
    token = await harness.agent_token()
    await create(harness, token, shortcut="hi", text="one")
    status, refused = await harness.request(
        "POST", "/api/replies", token, json={"shortcut": "HI", "text": "two"}
    )
    assert (status, refused["error"]["code"]) == (409, "conflict")
    other = await create(harness, token, shortcut="bye", text="three")
    status, refused = await harness.request(
        "PUT", f"/api/replies/{other['id']}", token, json={"shortcut": "hi", "text": "three"}
    )
    assert (status, refused["error"]["code"]) == (409, "conflict")

    await create(harness, admin, shortcut="hi", text="shared", shared=True)
    status, refused = await harness.request(
        "POST", "/api/replies", admin, json={"shortcut": "hi", "text": "again", "shared": True}
    )
    assert (status, refused["error"]["code"]) == (409, "conflict")
    assert [r["shortcut"] for r in await listed(harness, token)] == ["bye", "hi", "hi"]


async def test_catalogue_item_must_exist_and_its_viewer_id_is_returned(harness: Harness) -> None:
    token = await harness.agent_token()
    status, refused = await harness.request(
        "POST", "/api/replies", token, json={"shortcut": "p", "text": "x", "catalogue_id": "nope"}
    )
    assert (status, refused["error"]["code"]) == (400, "bad_request")
    item = await harness.product("image")
    created = await create(harness, token, shortcut="p", text="Look", catalogue_id=item)
    assert created["catalogue_id"] == item
    assert created["catalogue_media_id"] == item
    assert (await listed(harness, token))[0]["catalogue_media_id"] == item
    status, refused = await harness.request(
        "PUT",
        f"/api/replies/{created['id']}",
        token,
        json={"shortcut": "p", "text": "x", "catalogue_id": "nope"},
    )
    assert (status, refused["error"]["code"]) == (400, "bad_request")


async def test_bad_bodies_are_refused(harness: Harness) -> None:
    token = await harness.agent_token()
    for body in (
        {"shortcut": "", "text": "x"},
        {"shortcut": "a" * 33, "text": "x"},
        {"shortcut": "with space", "text": "x"},
        {"shortcut": "ünï", "text": "x"},
        {"shortcut": "   ", "text": "x"},
        {"shortcut": "\t", "text": "x"},
        {"shortcut": "\u212a", "text": "x"},
        {"shortcut": "ok", "text": "   "},
        {"shortcut": "ok", "text": "\t\n\u3000"},
        {"shortcut": "ok", "text": "x" * 2001},
        {"shortcut": "ok"},
        {"shortcut": "ok", "text": "x", "extra": 1},
    ):
        status, refused = await harness.request("POST", "/api/replies", token, json=body)
        assert (status, refused["error"]["code"]) == (400, "bad_request"), body
    assert await listed(harness, token) == []
    created = await create(harness, token, shortcut="a" * 32, text="x" * 2000)
    assert created["shortcut"] == "a" * 32


async def test_shoppers_and_strangers_are_refused(harness: Harness) -> None:
    opened = await harness.open_conversation()
    agent = await harness.agent_token()
    created = await create(harness, agent, shortcut="hi", text="Hi")
    for method, path, body in (
        ("GET", "/api/replies", None),
        ("POST", "/api/replies", {"shortcut": "x", "text": "y"}),
        ("PUT", f"/api/replies/{created['id']}", {"shortcut": "x", "text": "y"}),
        ("DELETE", f"/api/replies/{created['id']}", None),
    ):
        status, refused = await harness.request(method, path, opened["token"], json=body)
        assert (status, refused["error"]["code"]) == (403, "forbidden"), method
        status, refused = await harness.request(method, path, None, json=body)
        assert (status, refused["error"]["code"]) == (401, "unauthorized"), method
