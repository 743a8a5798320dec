"""Logging: one line per event of note, as text for people or JSON for log shippers.

Each line carries what it happened to, from context variables the adapters set: `request_id`
(an HTTP request; also answered as `X-Request-Id`), `sid` (a Socket.IO connection) and
`conversation_id`. What a line must never carry: a token, a PIN, an e-mail address or the text
of a message. The call sites log ids, codes and counts only; `redact` is the safety net for
what an exception's message might quote.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
from typing import Any, Literal

LogFormat = Literal["text", "json"]

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
sid: contextvars.ContextVar[str | None] = contextvars.ContextVar("sid", default=None)
conversation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "conversation_id", default=None
)
_CONTEXT = {"request_id": request_id, "sid": sid, "conversation_id": conversation_id}

_SECRETS = re.compile(
    r"(?:\b[ag]\.[A-Za-z0-9_\-.]{16,}"  # agent tokens and shopper grants
    r"|\bBearer\s+\S+"
    r"|[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,})"  # e-mail addresses
)


def redact(text: str) -> str:
    """`text` with anything shaped like a token or an e-mail address replaced."""
    return _SECRETS.sub("[redacted]", text)


class _Context(logging.Filter):
    """Adds the context variables to every record, and redacts its message."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, variable in _CONTEXT.items():
            setattr(record, name, variable.get())
        record.msg = redact(record.getMessage())
        record.args = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in _CONTEXT:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        context = " ".join(
            f"{name}={getattr(record, name)}"
            for name in _CONTEXT
            if getattr(record, name, None) is not None
        )
        return redact(f"{text} [{context}]" if context else text)


def configure(log_format: LogFormat, level: int = logging.INFO) -> None:
    """Log to stderr in `log_format`, with context on every line."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_Context())
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(_TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
