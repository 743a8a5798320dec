"""Every event packet gets an ack in the error shape, whatever its bytes; the connection stays."""

from __future__ import annotations

import pytest

from covisor.app.http import COVISOR
from covisor.kernel.codec import MAX_DEPTH, Undecodable, decode
from covisor.kernel.errors import INTERNAL
from tests.conftest import Harness
from tests.hostile_packets import PACKETS
from tests.raw_socketio import RawSocket


@pytest.mark.parametrize(("data", "code"), PACKETS.values(), ids=PACKETS.keys())
async def test_a_hostile_packet_is_answered_in_the_error_shape(
    harness: Harness, data: str, code: str
) -> None:
    cid, customer, _ = await harness.session()
    before = (await customer.ok("join", {"conversation_id": cid}))["snapshot"]
    raw = await RawSocket.connect(harness.http, harness.url, customer.token)
    try:
        answer = await raw.call_raw(data)
        assert answer["ok"] is False and answer["error"]["code"] == code, answer
        assert set(answer["error"]) == {"code", "message"}
        assert "Traceback" not in answer["error"]["message"]
        assert (await raw.call("time", {}))["ok"] is True
    finally:
        await raw.close()
    after = (await customer.ok("join", {"conversation_id": cid}))["snapshot"]
    assert after == before


def test_decoding_is_bounded_in_depth_and_never_raises() -> None:
    nested: list[object] = []
    for _ in range(MAX_DEPTH - 1):
        nested = [nested]
    assert decode(str(nested).replace(" ", "")) == nested
    refused = decode("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    assert refused == Undecodable(f"JSON nested deeper than {MAX_DEPTH} levels")
    assert isinstance(decode(b"\xff"), Undecodable)
    assert decode('{"a": [1, 2.5, "x", null, true]}') == {"a": [1, 2.5, "x", None, True]}


async def test_a_connect_packet_that_cannot_be_read_is_refused_as_unauthorized(
    harness: Harness,
) -> None:
    ws = await harness.http.ws_connect(f"{harness.url}/socket.io/?EIO=4&transport=websocket")
    try:
        opened = await ws.receive_str()
        assert opened.startswith("0")
        await ws.send_str('40{"token":"a\\ud800"}')
        refused = await ws.receive_str()
        assert refused.startswith("44{") and '"unauthorized"' in refused
    finally:
        await ws.close()


@pytest.mark.parametrize("num", ["5", '"x"'])
async def test_a_binary_event_whose_placeholder_names_no_attachment_is_answered(
    harness: Harness, num: str
) -> None:
    cid, customer, _ = await harness.session()
    raw = await RawSocket.connect(harness.http, harness.url, customer.token)
    try:
        await raw.ws.send_str(f'451-8["time",{{"_placeholder":true,"num":{num}}}]')
        await raw.ws.send_bytes(b"\x00\x01")
        frame = await raw.frame_starting("438")
        assert '"bad_request"' in frame and "binary placeholder" in frame
        assert (await raw.call("time", {}))["ok"] is True
    finally:
        await raw.close()


async def test_an_event_whose_handler_fails_is_answered_internal(harness: Harness) -> None:
    cid, customer, _ = await harness.session()
    sio = harness.server.app[COVISOR].sio

    async def broken(event: str, sid: str, args: list[object]) -> object:
        raise RuntimeError("a bug")

    sio.on_event(broken)
    answer = await customer.sio.call("time", {}, timeout=5)
    assert answer == INTERNAL.to_dict()
