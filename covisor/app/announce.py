"""The lines a serving process says to its operator and to the supervisor that started it: where
it listens, why it cannot, and that a worker is up."""

from __future__ import annotations

import os
import socket

READY = "covisor-worker-ready"
"""What a worker prints once it listens; the supervisor reads it, never passes it on."""


def print_listening(host: str, port: int) -> None:
    """The line tests and tools wait for, then where to click."""
    print(f"Covisor listening on http://{host}:{port}", flush=True)
    print(f"  shop demo:     http://{host}:{port}/demo", flush=True)
    print(f"  Senda shop:    http://{host}:{port}/demo/shop/", flush=True)
    print(f"  agent console: http://{host}:{port}/agent", flush=True)


def cannot_listen(host: str, port: int, error: OSError) -> str:
    """The line said when `host:port` cannot be listened on, the reason in a few words:
    "Address already in use", "Name or service not known"."""
    if isinstance(error, socket.gaierror) or not error.errno or error.errno < 0:
        reason = error.strerror or str(error)
    else:
        reason = os.strerror(error.errno)
    return f"covisor: cannot listen on {host}:{port}: {reason}"
