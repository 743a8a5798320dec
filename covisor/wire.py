"""The JSON codec python-socketio uses for every packet, backed by msgspec.

python-socketio accepts any module-like object with `dumps` and `loads`. Packet encoding and
decoding were a large share of the relay's CPU with the standard `json` module; msgspec does the
same work several times faster and refuses what JSON does not allow (NaN, Infinity).
"""

from __future__ import annotations

from typing import Any

import msgspec

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()


class MsgspecJson:
    @staticmethod
    def dumps(obj: Any, **_: Any) -> str:
        return _encoder.encode(obj).decode()

    @staticmethod
    def loads(text: str | bytes, **_: Any) -> Any:
        try:
            return _decoder.decode(text)
        except msgspec.DecodeError as exc:
            raise ValueError(str(exc)) from None
