"""Phone PINs end to end: a real server on loopback, real HTTP and real python-socketio clients."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from covisor.app.http import create_app
from covisor.config import Config
from covisor.phone.pins import system_digits
from tests.conftest import Harness, ManualClock, Peer, agent_token_for, serving, spawn_pair

WRONG = {
    "ok": False,
    "error": {"code": "not_found", "message": "this PIN is not valid; ask for a new one"},
}

Serve = Callable[..., Awaitable[Harness]]


class ScriptedDigits:
    """Hands out the given PINs first, then random ones."""

    def __init__(self) -> None:
        self.script: Iterator[str] = iter(())

    def __call__(self, n: int) -> str:
        return next(self.script, None) or system_digits(n)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def digits() -> ScriptedDigits:
    return ScriptedDigits()


@pytest.fixture
async def serve(config: Config, clock: ManualClock, digits: ScriptedDigits) -> AsyncIterator[Serve]:
    """Start a server on the manual clock and scripted digits, with config changes if given."""
    async with AsyncExitStack() as stack:

        async def start(**changes: Any) -> Harness:
            app = await create_app(config.replace(**changes), clock=clock, digits=digits)
            return await stack.enter_async_context(serving(app))

        yield start


@pytest.fixture
async def server(serve: Serve) -> Harness:
    return await serve()


async def issue(h: Harness, cid: str, token: str) -> dict[str, Any]:
    status, body = await h.request("POST", f"/api/conversations/{cid}/pins", token)
    assert status == 201, body
    assert isinstance(body, dict), body
    return body


async def redeem(h: Harness, pin: str, token: str | None = None, **extra: Any) -> tuple[int, Any]:
    return await h.request("POST", "/api/pins/redeem", token, json={"pin": pin, **extra})


async def redeemed(h: Harness, pin: str, token: str | None = None) -> dict[str, Any]:
    status, body = await redeem(h, pin, token)
    assert status == 200, body
    assert isinstance(body, dict), body
    return body


async def accepted_conversation(h: Harness) -> tuple[str, str, str]:
    """(conversation id, shopper token, agent token) of a conversation an agent accepted."""
    opened = await h.open_conversation()
    agent_token = await h.agent_token()
    await h.accepted(opened["id"], agent_token)
    return opened["id"], opened["token"], agent_token


def presence(peer: Peer, role: str, online: bool) -> bool:
    return any(
        name == "presence" and d["actor"]["role"] == role and d["online"] is online
        for name, d in peer.pushes
    )


async def test_caller_joins_agents_session_and_chats(server: Harness, clock: ManualClock) -> None:
    cid, customer, agent = await server.session()
    await agent.ok(
        "viewer.show", {"conversation_id": cid, "media_id": await server.product(item_id="m1")}
    )
    issued = await issue(server, cid, agent.token)
    assert len(issued["pin"]) == 6 and issued["pin"].isdigit()
    assert issued["display"] == f"{issued['pin'][:3]} {issued['pin'][3:]}"
    assert issued["expires_at"] == clock() + 600_000

    admitted = await redeemed(server, issued["display"])
    assert admitted["conversation_id"] == cid
    assert admitted["member"]["role"] == "caller" and admitted["member"]["name"] == "Caller"
    await agent.wait_for(lambda p: bool(p.of_type("member.joined")))
    [joined] = agent.of_type("member.joined")
    assert joined["data"] == {"member": admitted["member"]}

    caller = await server.peer(admitted["token"])
    snapshot = (await caller.ok("join", {"conversation_id": cid}))["snapshot"]
    assert snapshot["media"]["id"] == "m1" and snapshot["agent"]["name"] == "Agent"
    await agent.wait_for(lambda p: presence(p, "caller", True))
    said = await caller.ok(
        "chat.send", {"conversation_id": cid, "text": "I'm the one on the phone"}
    )
    await agent.wait_seq(said["seq"])
    answer = await agent.ok("chat.send", {"conversation_id": cid, "text": "I can see you"})
    await caller.wait_seq(answer["seq"])
    assert [m["data"]["text"] for m in caller.of_type("chat.message")] == [
        "I'm the one on the phone",
        "I can see you",
    ]
    await customer.wait_seq(answer["seq"])

    await caller.close()
    await agent.wait_for(lambda p: presence(p, "caller", False))


async def test_agent_pin_for_a_new_call_opens_a_conversation_of_that_agent(
    server: Harness,
) -> None:
    agent_token = await server.agent_token("Ann")
    status, issued = await server.request(
        "POST", "/api/pins", agent_token, json={"name": "Mr Smith"}
    )
    assert status == 201, issued
    _, summary = await server.request(
        "GET", f"/api/conversations/{issued['conversation_id']}", agent_token
    )
    assert summary["status"] == "active" and summary["agent_name"] == "Ann"
    assert summary["name"] == "Mr Smith"
    admitted = await redeemed(server, issued["pin"])
    assert admitted["conversation_id"] == issued["conversation_id"]
    caller = await server.peer(admitted["token"])
    joined = await caller.ok("join", {"conversation_id": admitted["conversation_id"]})
    assert joined["snapshot"]["agent"]["name"] == "Ann"


async def test_agent_takes_shoppers_conversation_with_shoppers_pin(server: Harness) -> None:
    opened = await server.open_conversation(name="Maria")
    cid = opened["id"]
    shopper = await server.peer(opened["token"])
    await shopper.ok("join", {"conversation_id": cid})
    issued = await issue(server, cid, opened["token"])

    agent_token = await server.agent_token("Ann")
    linked = await redeemed(server, issued["pin"], agent_token)
    assert linked["conversation_id"] == cid
    assert linked["conversation"]["agent_name"] == "Ann"
    assert linked["conversation"]["status"] == "active"
    await shopper.wait_for(lambda p: bool(p.of_type("conversation.accepted")))

    agent = await server.peer(agent_token)
    snapshot = (await agent.ok("join", {"conversation_id": cid}))["snapshot"]
    assert snapshot["name"] == "Maria"
    said = await agent.ok("chat.send", {"conversation_id": cid, "text": "Hello Maria"})
    await shopper.wait_seq(said["seq"])


async def test_pin_works_until_its_ttl_ends(server: Harness, clock: ManualClock) -> None:
    cid, _, agent_token = await accepted_conversation(server)
    pin = (await issue(server, cid, agent_token))["pin"]
    clock.advance(599.999)
    await redeemed(server, pin)


async def test_pin_is_refused_once_its_ttl_ended(server: Harness, clock: ManualClock) -> None:
    cid, _, agent_token = await accepted_conversation(server)
    pin = (await issue(server, cid, agent_token))["pin"]
    clock.advance(600)
    assert await redeem(server, pin) == (404, WRONG)


async def test_used_pin_is_refused(server: Harness) -> None:
    cid, _, agent_token = await accepted_conversation(server)
    pin = (await issue(server, cid, agent_token))["pin"]
    await redeemed(server, pin)
    assert await redeem(server, pin) == (404, WRONG)


async def test_new_pin_revokes_the_old_one(server: Harness) -> None:
    cid, _, agent_token = await accepted_conversation(server)
    old = (await issue(server, cid, agent_token))["pin"]
    new = (await issue(server, cid, agent_token))["pin"]
    assert await redeem(server, old) == (404, WRONG)
    await redeemed(server, new)


async def test_wrong_expired_used_and_misdirected_pins_get_one_answer(
    server: Harness, clock: ManualClock
) -> None:
    expiring_cid, _, expiring_agent = await accepted_conversation(server)
    expiring = (await issue(server, expiring_cid, expiring_agent))["pin"]
    clock.advance(300)
    cid, _, agent_token = await accepted_conversation(server)
    used = (await issue(server, cid, agent_token))["pin"]
    await redeemed(server, used)
    for_callers = (await issue(server, cid, agent_token))["pin"]
    other = await server.open_conversation()
    for_agents = (await issue(server, other["id"], other["token"]))["pin"]
    clock.advance(300)
    wrong = next(p for p in ("000000", "000001") if p not in (expiring, used, for_agents))

    answers = [
        await redeem(server, wrong),
        await redeem(server, expiring),
        await redeem(server, used),
        await redeem(server, for_agents),
        await redeem(server, for_callers, agent_token),
    ]
    assert answers == [(404, WRONG)] * 5


async def test_failures_lock_the_address_until_the_window_ends(
    server: Harness, clock: ManualClock
) -> None:
    cid, _, agent_token = await accepted_conversation(server)
    pin = (await issue(server, cid, agent_token))["pin"]
    wrong = "000000" if pin != "000000" else "000001"
    for _ in range(10):
        assert await redeem(server, wrong) == (404, WRONG)

    async with server.http.post(f"{server.url}/api/pins/redeem", json={"pin": pin}) as refused:
        assert refused.status == 429
        assert refused.headers["Retry-After"] == "600"
        body = await refused.json()
    assert body["error"]["code"] == "rate_limited" and body["error"]["retry_after"] == 600
    clock.advance(599)
    status, body = await redeem(server, pin)
    assert status == 429 and body["error"]["retry_after"] == 1
    clock.advance(1)
    pin = (await issue(server, cid, agent_token))["pin"]
    await redeemed(server, pin)


async def test_successful_redemptions_do_not_use_up_attempts(serve: Serve) -> None:
    server = await serve(pin_attempts_per_address=2)
    cid, _, agent_token = await accepted_conversation(server)
    for _ in range(5):
        await redeemed(server, (await issue(server, cid, agent_token))["pin"])


async def test_misuse_of_one_pin_locks_its_conversation(serve: Serve, clock: ManualClock) -> None:
    server = await serve(pin_attempt_window=60.0)
    opened = await server.open_conversation()
    pin = (await issue(server, opened["id"], opened["token"]))["pin"]
    for _ in range(5):
        assert await redeem(server, pin) == (404, WRONG)
    agent_token = await server.agent_token()
    status, body = await redeem(server, pin, agent_token)
    assert status == 429 and body["error"]["retry_after"] == 60
    clock.advance(60)
    await redeemed(server, pin, agent_token)


async def test_concurrent_redemptions_have_exactly_one_winner(serve: Serve) -> None:
    server = await serve(pin_attempts_per_address=1000, pin_attempts_per_conversation=1000)
    cid, _, agent_token = await accepted_conversation(server)
    pin = (await issue(server, cid, agent_token))["pin"]
    answers = await asyncio.gather(*(redeem(server, pin, name=f"c{i}") for i in range(50)))
    assert sorted(status for status, _ in answers) == [200] + [404] * 49
    assert all(body == WRONG for status, body in answers if status == 404)
    history = await server.services.store.events_of_type(cid, "member.joined", None, 100)
    assert len(history) == 1


async def test_live_pin_digits_are_never_issued_twice(
    server: Harness, digits: ScriptedDigits
) -> None:
    first, _, first_agent = await accepted_conversation(server)
    second, _, second_agent = await accepted_conversation(server)
    digits.script = iter(["482913", "482913", "135790"])
    assert (await issue(server, first, first_agent))["pin"] == "482913"
    assert (await issue(server, second, second_agent))["pin"] == "135790"


async def test_issuing_fails_cleanly_when_no_digits_are_free(
    server: Harness, digits: ScriptedDigits
) -> None:
    first, _, first_agent = await accepted_conversation(server)
    second, _, second_agent = await accepted_conversation(server)
    digits.script = iter(["111111"] * 21)
    await issue(server, first, first_agent)
    status, body = await server.request("POST", f"/api/conversations/{second}/pins", second_agent)
    assert status == 503 and body["error"]["code"] == "unavailable"


async def test_store_holds_only_a_keyed_digest_of_the_pin(
    server: Harness, config: Config, digits: ScriptedDigits
) -> None:
    cid, _, agent_token = await accepted_conversation(server)
    digits.script = iter(["482913"])
    await issue(server, cid, agent_token)
    db = server.services.store._db  # type: ignore[attr-defined]
    [row] = await db.fetch("SELECT * FROM pins")
    [(key,)] = await db.fetch("SELECT value FROM secrets WHERE name = 'pins'")
    assert row[0] == hmac.new(key, b"482913", hashlib.sha256).hexdigest()
    assert "482913" not in row and 482913 not in row


async def test_only_members_ask_for_pins(server: Harness) -> None:
    cid, _, _ = await accepted_conversation(server)
    stranger = await server.open_conversation()
    other_agent = await server.agent_token("Bob")
    for token in (stranger["token"], other_agent):
        status, body = await server.request("POST", f"/api/conversations/{cid}/pins", token)
        assert status == 403, body
    status, _ = await server.request("POST", f"/api/conversations/{cid}/pins")
    assert status == 401


async def test_caller_cannot_ask_for_a_pin(server: Harness) -> None:
    cid, _, agent_token = await accepted_conversation(server)
    admitted = await redeemed(server, (await issue(server, cid, agent_token))["pin"])
    status, body = await server.request("POST", f"/api/conversations/{cid}/pins", admitted["token"])
    assert status == 403, body


async def test_shopper_with_an_agent_gets_no_pin(server: Harness) -> None:
    cid, shopper_token, _ = await accepted_conversation(server)
    status, body = await server.request("POST", f"/api/conversations/{cid}/pins", shopper_token)
    assert status == 409 and "Agent" in body["error"]["message"]


async def test_closed_conversation_gets_no_pin(server: Harness) -> None:
    cid, _, agent_token = await accepted_conversation(server)
    await server.request("POST", f"/api/conversations/{cid}/close", agent_token)
    status, body = await server.request("POST", f"/api/conversations/{cid}/pins", agent_token)
    assert status == 409, body


async def test_malformed_pin_is_a_bad_request_and_not_an_attempt(serve: Serve) -> None:
    server = await serve(pin_attempts_per_address=1)
    for pin in (482913, "48291", "48a913", "4829133"):
        status, body = await redeem(server, pin)  # type: ignore[arg-type]
        assert status == 400 and body["error"]["code"] == "bad_request", body
    cid, _, agent_token = await accepted_conversation(server)
    await redeemed(server, (await issue(server, cid, agent_token))["pin"])


async def test_redeeming_with_a_shoppers_token_is_forbidden(server: Harness) -> None:
    opened = await server.open_conversation()
    pin = (await issue(server, opened["id"], opened["token"]))["pin"]
    status, _ = await redeem(server, pin, opened["token"])
    assert status == 403


@pytest.mark.redis
async def test_pin_issued_on_one_process_is_redeemed_once_on_either(
    spawn: Any, redis: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    first, second = await spawn_pair(
        spawn,
        redis,
        data,
        COVISOR_PIN_ATTEMPTS_PER_ADDRESS="1000",
        COVISOR_PIN_ATTEMPTS_PER_CONVERSATION="1000",
    )
    agent_token = await agent_token_for(data)
    async with aiohttp.ClientSession() as http:

        async def post(url: str, path: str, body: Any, token: str | None = None) -> Any:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            async with http.post(url + path, json=body, headers=headers) as r:
                return r.status, await r.json()

        status, issued = await post(first.url, "/api/pins", {}, agent_token)
        assert status == 201, issued
        cid = issued["conversation_id"]
        agent = await Peer(first.url, agent_token).connect()
        try:
            await agent.ok("join", {"conversation_id": cid})
            answers = await asyncio.gather(
                *(
                    post((first, second)[i % 2].url, "/api/pins/redeem", {"pin": issued["pin"]})
                    for i in range(40)
                )
            )
            winners = [body for status, body in answers if status == 200]
            assert len(winners) == 1
            assert all(body == WRONG for status, body in answers if status != 200)

            caller = await Peer(second.url, winners[0]["token"]).connect()
            try:
                await caller.ok("join", {"conversation_id": cid})
                await agent.wait_for(lambda p: presence(p, "caller", True))
                said = await caller.ok("chat.send", {"conversation_id": cid, "text": "hi"})
                await agent.wait_seq(said["seq"])
                assert [e["type"] for e in agent.events] == ["member.joined", "chat.message"]
            finally:
                await caller.close()
            await agent.wait_for(lambda p: presence(p, "caller", False))
        finally:
            await agent.close()


@pytest.mark.redis
async def test_lockout_on_one_process_holds_on_another(
    spawn: Any, redis: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    first, second = await spawn_pair(spawn, redis, data)
    async with aiohttp.ClientSession() as http:
        for _ in range(10):
            async with http.post(f"{first.url}/api/pins/redeem", json={"pin": "000000"}) as r:
                assert r.status == 404
        async with http.post(f"{second.url}/api/pins/redeem", json={"pin": "000000"}) as r:
            assert r.status == 429
            assert int(r.headers["Retry-After"]) > 0
