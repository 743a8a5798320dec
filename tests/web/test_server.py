"""Requests aiohttp cannot parse are answered in the error shape, never quoting their bytes."""

from __future__ import annotations

import asyncio
import json
import logging

import aiohttp
import pytest

from tests.conftest import Harness
from tests.media import samples

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


SID = "bogus-SID-do-not-echo"

REFUSED_BY_A_LIBRARY = {
    "Engine.IO: unknown session": (f"/socket.io/?EIO=4&transport=polling&sid={SID}", 400),
    "Engine.IO: protocol 3": ("/socket.io/?EIO=3&transport=polling", 400),
    "Engine.IO: unknown transport": (f"/socket.io/?EIO=4&transport={SID}", 400),
    "static directory": ("/client/", 403),
    "missing static file": (f"/client/{SID}.js", 404),
    "missing demo catalogue file": (f"/media/{SID}.jpg", 404),
}

CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 416: "bad_request"}


async def answer(
    h: Harness, method: str, path: str, **headers: str
) -> tuple[int, dict[str, str], bytes]:
    async with h.http.request(method, h.url + path, headers=headers) as response:
        return response.status, dict(response.headers), await response.read()


def assert_error_shape(status: int, headers: dict[str, str], body: bytes, expected: int) -> None:
    assert status == expected, body
    assert headers["Content-Type"].startswith("application/json"), headers
    answer = json.loads(body)
    assert answer["ok"] is False and answer["error"]["code"] == CODES[expected], answer
    assert isinstance(answer["error"]["message"], str) and answer["error"]["message"]
    assert SID.encode() not in body and SID not in str(headers)


@pytest.mark.parametrize(
    ("path", "status"), REFUSED_BY_A_LIBRARY.values(), ids=REFUSED_BY_A_LIBRARY.keys()
)
async def test_an_error_answered_by_a_library_gets_the_error_shape(
    harness: Harness, path: str, status: int
) -> None:
    assert_error_shape(*await answer(harness, "GET", path), status)


async def test_an_unsatisfiable_range_gets_the_error_shape_and_keeps_content_range(
    harness: Harness,
) -> None:
    opened = await harness.open_conversation()
    form = aiohttp.FormData()
    form.add_field("file", samples.alpha_png(), filename="a.png", content_type="image/png")
    status, item = await harness.request(
        "POST", f"/api/conversations/{opened['id']}/media", opened["token"], data=form
    )
    assert status == 201, item
    upload_url = item["variants"]["display_webp"]["url"]
    for path in (upload_url, "/media/desk-lamp.jpg", "/api/openapi.yaml"):
        size = len((await answer(harness, "GET", path))[2])
        status, headers, body = await answer(harness, "GET", path, Range=f"bytes={size + 10}-")
        assert_error_shape(status, headers, body, 416)
        assert headers["Content-Range"] == f"bytes */{size}"
        assert "immutable" not in headers.get("Cache-Control", "")
        status, headers, body = await answer(harness, "HEAD", path, Range=f"bytes={size + 10}-")
        assert status == 416 and body == b"" and headers["Content-Type"] == "application/json"
        status, headers, body = await answer(harness, "GET", path, Range="bytes=0-9")
        assert status == 206 and len(body) == 10, path
        assert not headers["Content-Type"].startswith("application/json")


async def test_method_not_allowed_keeps_allow_in_the_error_shape(harness: Harness) -> None:
    for path in ("/healthz", "/socket.io/?EIO=4&transport=polling"):
        status, headers, body = await answer(harness, "PUT", path)
        assert status == 405 and "GET" in headers["Allow"], headers
        assert json.loads(body)["error"]["code"] == "bad_request"


async def test_engineio_still_serves_a_good_polling_request(harness: Harness) -> None:
    status, headers, body = await answer(harness, "GET", "/socket.io/?EIO=4&transport=polling")
    assert status == 200 and body.startswith(b"0{"), body
