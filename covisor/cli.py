"""`covisor serve` and `covisor agents add NAME`."""

from __future__ import annotations

import argparse
import asyncio
import gc
import signal
import sys
from collections.abc import Coroutine, Sequence
from typing import Any

from aiohttp import web

from covisor import config as configuration
from covisor import logs
from covisor.agents import Agents
from covisor.app import create_app, make_store
from covisor.clock import system_clock, system_tokens
from covisor.config import Config, ConfigError
from covisor.http_server import AppRunner


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="covisor", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the server")
    configuration.add_server_arguments(serve)
    agents = commands.add_parser("agents", help="manage agents")
    agent_commands = agents.add_subparsers(dest="agents_command", required=True)
    add = agent_commands.add_parser("add", help="create an agent and print its token")
    add.add_argument("name")
    configuration.add_server_arguments(add)

    args = parser.parse_args(argv)
    try:
        config = configuration.from_arguments(args)
    except ConfigError as refusal:
        print(f"covisor: invalid configuration: {refusal}", file=sys.stderr)
        return 2
    logs.configure("json" if config.log_format == "json" else "text")
    if args.command == "serve":
        run_event_loop(serve_forever(config))
        return 0
    token = asyncio.run(create_agent(config, args.name))
    print(f"Created agent {args.name!r}. Its token (keep it secret):")
    print(token)
    return 0


async def create_agent(config: Config, name: str) -> str:
    store = make_store(config)
    try:
        await store.open()
        _, token = await Agents(store, system_tokens, system_clock).add(name)
    finally:
        await store.close()
    return token


def run_event_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run on uvloop where it is installed (Linux, macOS): its transports write and poll sockets
    several times cheaper than asyncio's, which is most of a relay's work."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
        return
    uvloop.run(main)


def tune_runtime() -> None:
    """Interpreter settings for a latency-sensitive relay, measured with bench/relay.py.

    Objects alive after start-up (modules, config, catalogue) are frozen out of the collector and
    young-generation collections run less often, so full collections stop landing in the p99.
    A shorter GIL switch interval lets the store's and the media pool's threads hand results
    back without waiting out the default 5 ms behind the busy event loop.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 100)
    sys.setswitchinterval(0.0005)


async def serve_forever(config: Config) -> None:
    """Run until SIGINT (Ctrl-C) or SIGTERM, then stop cleanly and quietly; print the bound
    address (the real port when `--port 0`)."""
    runner = AppRunner(await create_app(config), access_log=None)
    await runner.setup()
    tune_runtime()
    site = web.TCPSite(runner, config.host, config.port)
    await site.start()
    sockets = getattr(site._server, "sockets", None)
    port = sockets[0].getsockname()[1] if sockets else config.port
    print(f"Covisor listening on http://{config.host}:{port}", flush=True)
    print(f"  shop demo:     http://{config.host}:{port}/demo", flush=True)
    print(f"  agent console: http://{config.host}:{port}/agent", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
        print("Covisor is stopping", flush=True)
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    sys.exit(main())
