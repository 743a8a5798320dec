"""Seed corpus: Socket.IO event packets (the JSON after `42<ack id>`) that once went unanswered
or answered wrongly, each with the error code its ack must carry. Keep every case found."""

from __future__ import annotations

DEEP = "[" * 3000 + "]" * 3000

PACKETS: dict[str, tuple[str, str]] = {
    "lone surrogate in a string": (
        '["chat.send",{"conversation_id":"c","text":"a\\ud800b"}]',
        "bad_request",
    ),
    "lone surrogate in the name": ('["\\udfff",{}]', "bad_request"),
    "NaN": ('["time",NaN]', "bad_request"),
    "Infinity": ('["time",{"x":Infinity}]', "bad_request"),
    "number beyond a double": ('["time",1e400]', "bad_request"),
    "integer beyond 64 bits": (
        '["chat.read",{"conversation_id":"c","seq":123456789012345678901234567890}]',
        "bad_request",
    ),
    "nested thousands deep": (DEEP, "bad_request"),
    "nested seven deep": ('["time",[[[[[[1]]]]]]]', "bad_request"),
    "truncated": ('["time",{', "bad_request"),
    "not an array": ('{"event":"time"}', "bad_request"),
    "a bare string": ('"time"', "bad_request"),
    "empty array": ("[]", "bad_request"),
    "name not a string": ("[42,{}]", "bad_request"),
    "null name": ("[null,{}]", "bad_request"),
    "reserved connect": ('["connect",{}]', "unknown_event"),
    "reserved disconnect": ('["disconnect","client"]', "unknown_event"),
    "reserved connect_error": ('["connect_error",{}]', "unknown_event"),
    "reserved message": ('["message",{}]', "unknown_event"),
    "catch-all name": ('["*",{}]', "unknown_event"),
    "unknown name": ('["drop.tables",{}]', "unknown_event"),
    "two payloads": ('["time",{},{}]', "bad_request"),
    "no payload": ('["time"]', "bad_request"),
    "payload not an object": ('["chat.send","hello"]', "bad_request"),
}
