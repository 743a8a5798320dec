"""A worker telling the server its photo can be shown while it goes on with the rest of it.

A job in the worker pool returns once, at its end; the first picture of a photo (its display
JPEG) is ready well before that. `FirstPicture` is the server's side: a Unix datagram socket
in Linux's abstract namespace (no file to clean up, no path length limit), whose address the
job is given in a `Tell`; the job sends one datagram, `FirstImage` as JSON, as soon as the
picture is written (`tell`). Nothing is sent for media with nothing to show first (videos), or
when the job fails before: `receive` then answers None and the job's own outcome says why.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from covisor.media.variants import Variant

_MOST_BYTES = 64 * 1024


@dataclass(frozen=True)
class FirstImage:
    """A photo's first picture, written: its original's upright size and the variants made."""

    width: int
    height: int
    variants: dict[str, Variant]


@dataclass(frozen=True)
class Tell:
    """What a job is given to tell of its first picture: where to send it, and the directory
    the rest of its files go to (the first one's directory may be published meanwhile)."""

    address: str
    rest_dir: Path


def tell(address: str, first: FirstImage) -> None:
    """In the worker: send `first` to the server listening at `address`."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
        sender.sendto(msgspec.json.encode(first), "\0" + address)


class FirstPicture:
    """The server's end for one job: `Tell(address, …)` goes to the job, `receive` waits."""

    def __init__(self) -> None:
        self.address = "covisor-first-" + secrets.token_hex(12)
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.bind("\0" + self.address)
        self._socket.setblocking(False)

    def close(self) -> None:
        self._socket.close()

    async def receive(self, job: Awaitable[Any]) -> FirstImage | None:
        """The first picture the job told of, or None if it ended without telling (`job` is
        awaited then, so its refusal is raised here)."""
        job = asyncio.ensure_future(job)
        told = asyncio.ensure_future(
            asyncio.get_running_loop().sock_recv(self._socket, _MOST_BYTES)
        )
        try:
            await asyncio.wait([told, job], return_when=asyncio.FIRST_COMPLETED)
            if not told.done():
                await job
                with contextlib.suppress(BlockingIOError):
                    return _decoded(self._socket.recv(_MOST_BYTES))
                return None
            return _decoded(told.result())
        finally:
            told.cancel()


def _decoded(datagram: bytes) -> FirstImage:
    return msgspec.json.decode(datagram, type=FirstImage)
