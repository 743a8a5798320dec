"""Logs: JSON lines with context for a log shipper; never a token, PIN, e-mail or message."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from pathlib import Path

import aiohttp
import pytest

from covisor.kernel.logs import redact
from tests.conftest import Peer, agent_token_for, open_accepted, serve_process

TEXT = "my address is anna.nowak@example.com, call me"
PIN = "918273"


@pytest.mark.process
async def test_json_log_lines_carry_context_and_no_secret(tmp_path: Path) -> None:
    data = tmp_path / "data"
    agent_token = await agent_token_for(data)
    process = await serve_process(
        data,
        "--log-format",
        "json",
        env={**os.environ, "COVISOR_SEED_DEMO": "0", "COVISOR_MEDIA_WORKERS": "1"},
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    line = await asyncio.wait_for(process.stdout.readline(), 20)
    url = line.decode().split()[-1]
    opened = await open_accepted(url, agent_token)
    shopper = await Peer(url, opened["token"]).connect()
    await shopper.ok("join", {"conversation_id": opened["id"]})
    await shopper.ok("chat.send", {"conversation_id": opened["id"], "text": TEXT})
    await shopper.call("chat.send", {"conversation_id": opened["id"], "text": TEXT, "x": 1})
    await shopper.close()
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{url}/api/pins/redeem", json={"pin": PIN}) as response:
            assert response.status == 404
            request_id = response.headers["X-Request-Id"]
        async with http.get(f"{url}/api/me", headers={"Authorization": f"Bearer {agent_token}x"}):
            pass
    process.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(process.communicate(), 20)
    log = err.decode()
    lines = [json.loads(text) for text in log.splitlines()]
    assert all({"time", "level", "logger", "message"} <= set(entry) for entry in lines)
    opened_line = [e for e in lines if e["message"] == "conversation.opened at seq 1"]
    assert opened_line and opened_line[0]["conversation_id"] == opened["id"]
    assert any(e["message"] == "customer connected" and e.get("sid") for e in lines)
    for secret in (TEXT, "anna.nowak@example.com", PIN, agent_token, opened["token"]):
        assert secret not in log
    assert len(request_id) == 16


def test_redact_hides_tokens_and_addresses() -> None:
    said = "Bearer g.eyJzdWIiOiJzXzEifQ.abcdefghijklmnop for a.0123456789abcdefghij by x@y.eu"
    assert redact(said) == "[redacted] for [redacted] by [redacted]"
