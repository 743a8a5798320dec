"""Requests aiohttp cannot parse are answered in the error shape, never quoting their bytes."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from tests.conftest import Harness

SECRET = "a.SECRET-token-do-not-echo"

UNREADABLE = {
    "header over 8 KiB": (
        f"GET /api/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {SECRET}{'x' * 9000}\r\n\r\n"
    ),
    "URL over 8 KiB": f"GET /api/me?token={SECRET}{'q' * 9000} HTTP/1.1\r\nHost: x\r\n\r\n",
    "control character in a header": (
        f"GET /api/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {SECRET}\x01\r\n\r\n"
    ),
    "unknown method": f"{SECRET} /api/me HTTP/1.1\r\nHost: x\r\n\r\n",
}


async def raw_request(h: Harness, request: str) -> tuple[str, bytes]:
    reader, writer = await asyncio.open_connection(h.server.host, h.server.port)
    try:
        writer.write(request.encode("latin-1"))
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    return head.decode("latin-1"), body


@pytest.mark.parametrize("request_text", UNREADABLE.values(), ids=UNREADABLE.keys())
async def test_an_unreadable_request_gets_the_error_shape_without_its_bytes(
    harness: Harness, request_text: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    head, body = await raw_request(harness, request_text)
    assert head.startswith("HTTP/1.") and " 400 " in head.splitlines()[0]
    assert "content-type: application/json" in head.lower()
    answer = json.loads(body)
    assert answer["ok"] is False and answer["error"]["code"] == "bad_request"
    assert SECRET.encode() not in body and b"xxxx" not in body and b"qqqq" not in body
    assert SECRET not in caplog.text
    assert (await harness.request("GET", "/healthz"))[0] == 200
