"""What Redis pub/sub costs a Covisor process for events of rooms it has no member in.

python-socketio's Redis manager publishes every broadcast on one channel, and every process
decodes every message and looks for the room's members, whether it has any or not. Covisor's
`RedisBroadcast` publishes an event of a conversation on that conversation's own channel
instead, which only processes with a member in it listen to. This bench starts one
``covisor serve`` on Redis with no client in any conversation and publishes what another
process would publish for a relayed stroke event (the same shape and size), at ``--rate``
messages a second for ``--seconds``, twice: on the shared channel (python-socketio's way, and
still the way of the agents' room) and on the conversation's channel (Covisor's way). It reports
the server's CPU per message of each next to its CPU over the same time with nothing published.
Multiply by the event rate of the whole cluster: on the shared channel, each process pays it
for every event of every other one.

Usage: python bench/pubsub.py [--rate 3000] [--seconds 10] [--redis redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

import aiohttp
import msgspec
import redis.asyncio
from relay_servers import (
    BENCH_ENV,
    Processes,
    _wait_healthy,
    free_port,
    group_cpu_seconds,
    installed_covisor_command,
)

CONVERSATION = "c_BenchNoMembersHere"


def stroke_message(seq: int) -> bytes:
    """What a process publishes for one relayed `stroke.points` event (RedisBroadcast)."""
    cid = CONVERSATION
    event = {
        "conversation_id": cid,
        "seq": seq,
        "type": "stroke.points",
        "at": 1.7e12,
        "actor": {"id": "a_bench", "role": "agent", "name": "Bench"},
        "data": {"stroke_id": "s1", "points": [[0.25, 0.5], [0.26, 0.51]]},
    }
    return msgspec.json.encode(
        {
            "method": "emit",
            "event": "event",
            "data": event,
            "namespace": "/",
            "room": [f"c:{cid}", f"n:{cid}"],
            "skip_sid": "sid_of_the_drawer",
            "callback": None,
            "host_id": "another-process",
        }
    )


async def publish(client: redis.asyncio.Redis, channel: str, rate: float, seconds: float) -> int:
    """Publish at `rate` messages a second, in ticks of 10 ms; the count published."""
    sent, started = 0, time.monotonic()
    while (elapsed := time.monotonic() - started) < seconds:
        due = int(elapsed * rate)
        async with client.pipeline(transaction=False) as pipe:
            for seq in range(sent, due):
                pipe.publish(channel, stroke_message(seq))
            await pipe.execute()
        sent = due
        await asyncio.sleep(0.01)
    return sent


async def cpu_over(pgid: int, seconds: float, work: asyncio.Future[int] | None) -> float:
    before = group_cpu_seconds(pgid)
    if work is None:
        await asyncio.sleep(seconds)
    else:
        await work
    return group_cpu_seconds(pgid) - before


async def run(args: argparse.Namespace) -> None:
    channel = f"covisor-pubsub-bench-{os.getpid()}"
    port = free_port()
    env = {
        **os.environ,
        **BENCH_ENV,
        "COVISOR_REDIS_URL": args.redis,
        "COVISOR_REDIS_CHANNEL": channel,
    }
    processes = Processes()
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "server.log"
        try:
            with log.open("wb") as sink:
                server = await processes.start(
                    *installed_covisor_command(),
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--data-dir",
                    scratch,
                    env=env,
                    stdout=sink,
                    stderr=sink,
                )
            url = f"http://127.0.0.1:{port}"
            await _wait_healthy(url, server, log)
            async with aiohttp.ClientSession() as http:
                # python-socketio starts listening to Redis at its first Engine.IO connection.
                async with http.get(f"{url}/socket.io/?EIO=4&transport=polling") as opened:
                    opened.raise_for_status()
            await asyncio.sleep(2)
            idle = await cpu_over(server.pid, args.seconds, None)
            client = redis.asyncio.from_url(args.redis)
            busy: dict[str, tuple[int, float]] = {}
            try:
                for name, target in (
                    ("the shared channel", channel),
                    ("the conversation's channel", f"{channel}:c:{CONVERSATION}"),
                ):
                    work = asyncio.ensure_future(publish(client, target, args.rate, args.seconds))
                    spent = await cpu_over(server.pid, args.seconds, work)
                    busy[name] = (work.result(), spent)
            finally:
                await client.aclose()
        finally:
            await processes.stop_all()
    print(f"server CPU with nothing published: {idle / args.seconds:.1%} of a core")
    for name, (sent, spent) in busy.items():
        per_message = (spent - idle) / sent * 1e6 if sent else float("nan")
        print(
            f"on {name}: {sent:,} messages in {args.seconds:g} s ({sent / args.seconds:,.0f}/s), "
            f"server CPU {spent / args.seconds:.1%} of a core, {per_message:.0f} µs a message"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=3000.0, help="messages a second")
    parser.add_argument("--seconds", type=float, default=10.0, help="measurement window")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="Redis URL")
    asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
