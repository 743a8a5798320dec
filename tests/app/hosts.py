"""Separate hosts on one machine, for tests of several nodes: a Linux network namespace per
host (`ip netns`, root only), each joined by a veth pair to a bridge in this namespace.

A host has its own loopback and address: a node in one cannot reach another's 127.0.0.1, and
nothing reaches it but through the bridge, as with machines on a LAN. The services the nodes
share (PostgreSQL, Redis, the S3 server) listen on this namespace's loopback only, so each is
reached through a forwarder on the bridge's address (`forward`), as a database host would be
through its own address.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
from collections.abc import AsyncIterator
from typing import Any

_FORWARD_CHUNK = 64 * 1024


class Hosts:
    """`count` hosts on a /24 of their own; `address(i)` of each, `gateway` of the bridge."""

    def __init__(self, count: int) -> None:
        tag = os.getpid() % 10_000
        self.count = count
        self.subnet = f"10.{77 + tag // 250 % 100}.{tag % 250}"
        self.gateway = f"{self.subnet}.1"
        self._bridge = f"cvbr{tag}"
        self._names = [f"covisor-{tag}-{i}" for i in range(count)]
        self._forwarders: list[asyncio.Server] = []
        self._piping: set[asyncio.Task[Any]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    def address(self, index: int) -> str:
        return f"{self.subnet}.{10 + index}"

    def run_in(self, index: int) -> tuple[str, ...]:
        """The command prefix that runs a program on host `index`."""
        return ("ip", "netns", "exec", self._names[index])

    def __enter__(self) -> Hosts:
        try:
            self._ip("link", "add", self._bridge, "type", "bridge")
            self._ip("addr", "add", f"{self.gateway}/24", "dev", self._bridge)
            self._ip("link", "set", self._bridge, "up")
            for index, name in enumerate(self._names):
                outside, inside = f"cv{os.getpid() % 10_000}h{index}", "eth0"
                self._ip("netns", "add", name)
                self._ip("link", "add", outside, "type", "veth", "peer", "name", f"{outside}p")
                self._ip("link", "set", f"{outside}p", "netns", name)
                self._ip("link", "set", outside, "master", self._bridge, "up")
                inner = ("-n", name)
                self._ip(*inner, "link", "set", f"{outside}p", "name", inside)
                self._ip(*inner, "addr", "add", f"{self.address(index)}/24", "dev", inside)
                self._ip(*inner, "link", "set", inside, "up")
                self._ip(*inner, "link", "set", "lo", "up")
        except BaseException:
            self._remove()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._remove()

    async def forward(self, port: int) -> str:
        """Reach this namespace's 127.0.0.1:`port` from the hosts at `gateway:port`; the
        address to use there."""

        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while data := await reader.read(_FORWARD_CHUNK):
                    writer.write(data)
                    await writer.drain()
            with contextlib.suppress(OSError):
                writer.close()

        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            self._piping.add(task)
            self._writers.add(writer)
            try:
                upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", port)
                self._writers.add(upstream_writer)
                await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))
            except OSError:
                writer.close()
            finally:
                self._piping.discard(task)

        self._forwarders.append(await asyncio.start_server(accept, self.gateway, port))
        return f"{self.gateway}:{port}"

    @contextlib.asynccontextmanager
    async def forwarding(self, *ports: int) -> AsyncIterator[list[str]]:
        """`forward` each of `ports` for the block; the forwarders are closed after it."""
        try:
            yield [await self.forward(port) for port in ports]
        finally:
            for server in self._forwarders:
                server.close()
            self._forwarders.clear()
            for task in list(self._piping):
                task.cancel()
            await asyncio.gather(*self._piping, return_exceptions=True)
            for writer in self._writers:
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
            self._writers.clear()

    def _remove(self) -> None:
        for name in self._names:
            subprocess.run(["ip", "netns", "delete", name], capture_output=True, check=False)
        subprocess.run(["ip", "link", "delete", self._bridge], capture_output=True, check=False)

    @staticmethod
    def _ip(*args: str) -> None:
        subprocess.run(["ip", *args], check=True, capture_output=True)
