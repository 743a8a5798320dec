"""JSON as Covisor reads and writes it, on the wire and in HTTP bodies alike.

Decoding is bounded: values nest at most `MAX_DEPTH` levels (the deepest command,
`stroke.points`, needs four inside its packet), numbers must fit 64 bits or a double, and what
JSON does not allow (NaN, Infinity, lone UTF-16 surrogates such as `"\\ud800"`, which a
browser's `JSON.stringify` makes of a broken string) is refused. msgspec does it in one pass,
several times faster than the standard `json` module. `decode` never raises: what cannot be
read becomes an `Undecodable`, so each adapter answers it in the error shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

import msgspec

MAX_DEPTH = 6
"""Most levels of arrays and objects inside one another in a packet or body."""


def _bounded_json(depth: int) -> Any:
    """The type of JSON values nested at most `depth` levels, for msgspec to enforce."""
    kind: Any = Union[str, int, float, bool, None]  # noqa: UP007
    for _ in range(depth):
        kind = Union[str, int, float, bool, None, list[kind], dict[str, kind]]  # noqa: UP007
    return kind


encoder = msgspec.json.Encoder()
"""Shared by every writer of JSON (one encoder keeps its buffer warm)."""
_decoder = msgspec.json.Decoder(_bounded_json(MAX_DEPTH))


@dataclass(frozen=True)
class Undecodable:
    """A packet or body that is not JSON Covisor accepts; `reason` says why, for the client."""

    reason: str


def decode(raw: str | bytes) -> Any:
    """The JSON value of `raw`, or an `Undecodable` saying why there is none."""
    try:
        return _decoder.decode(raw)
    except msgspec.ValidationError as exc:
        message = str(exc)
        if "got `array`" in message or "got `object`" in message:
            return Undecodable(f"JSON nested deeper than {MAX_DEPTH} levels")
        return Undecodable(f"not valid JSON: {message.split(' - ')[0]}")
    except (msgspec.DecodeError, RecursionError, UnicodeError) as exc:
        return Undecodable(f"not valid JSON: {exc}")


def encode(value: Any) -> bytes:
    """`value` as compact UTF-8 JSON."""
    return encoder.encode(value)
