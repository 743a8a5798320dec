"""The one error type clients ever see.

Every refusal, from a malformed payload to a missing permission, is a `CovisorError` with a
stable machine-readable `code` and a human `message`; the HTTP and Socket.IO adapters turn it
into the error shape of docs/PROTOCOL.md. Anything else that escapes is logged and reported as
`internal`, so no stack trace ever reaches a client.
"""

from __future__ import annotations

from typing import Any

HTTP_STATUS: dict[str, int] = {
    "bad_request": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "at_capacity": 409,
    "too_large": 413,
    "unsupported": 415,
    "rate_limited": 429,
    "unknown_event": 400,
    "internal": 500,
    "unavailable": 503,
}


class CovisorError(Exception):
    """A refusal the client is told about; nothing was changed by the refused request."""

    def __init__(self, code: str, message: str, *, retry_after: float | None = None) -> None:
        if code not in HTTP_STATUS:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.code]

    def to_dict(self) -> dict[str, Any]:
        """The `{"ok": false, "error": {...}}` body shared by HTTP answers and acks."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.retry_after is not None:
            error["retry_after"] = round(self.retry_after, 3)
        return {"ok": False, "error": error}


INTERNAL = CovisorError("internal", "the server failed to handle this; nothing was changed")
