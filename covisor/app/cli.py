"""`covisor serve`, `covisor agents add NAME`, `covisor shops secret`, and the operator's data
commands: `covisor erase ID`, `covisor export ID --out FILE.zip`, `covisor backup PATH`,
`covisor migrate-store --to postgresql://…`."""

from __future__ import annotations

import argparse
import asyncio
import gc
import signal
import sys
from collections.abc import Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from covisor import config as configuration
from covisor.app import factories
from covisor.app.announce import READY, cannot_listen, print_listening
from covisor.app.factories import make_store
from covisor.app.http import COVISOR, create_app
from covisor.app.lifecycle import Lifecycle
from covisor.config import Config, ConfigError
from covisor.kernel import logs
from covisor.kernel.errors import CovisorError
from covisor.store.records import AgentRole, StoreError
from covisor.team import passwords
from covisor.team.settings import Settings
from covisor.web.server import AppRunner

T = TypeVar("T")


def make_parser() -> argparse.ArgumentParser:
    """The command line: `serve`, `agents add`, `shops secret`, `erase`, `export`, `backup`."""
    parser = argparse.ArgumentParser(prog="covisor", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the server")
    configuration.add_server_arguments(serve)
    serve.add_argument(
        "--workers",
        type=int,
        help=configuration.flag_help("workers", "server processes on one port, needs --redis-url"),
    )
    # Set by the supervisor (covisor/app/supervisor.py) on the processes it starts.
    serve.add_argument("--worker-index", type=int, help=argparse.SUPPRESS)
    agents = commands.add_parser("agents", help="manage agents")
    agent_commands = agents.add_subparsers(dest="agents_command", required=True)
    add = agent_commands.add_parser("add", help="create an agent and print its token")
    add.add_argument("name")
    add.add_argument("--email", help="its login e-mail; a strong password is generated")
    add.add_argument("--admin", action="store_true", help="an admin: manages the team")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of stdin instead of generating one",
    )
    configuration.add_server_arguments(add)
    shops = commands.add_parser("shops", help="the shop's integration")
    shop_commands = shops.add_subparsers(dest="shops_command", required=True)
    secret = shop_commands.add_parser(
        "secret", help="print the secret the shop signs its shoppers' identities with"
    )
    configuration.add_server_arguments(secret)
    erase = commands.add_parser("erase", help="erase a conversation and the files only it holds")
    erase.add_argument("conversation_id")
    configuration.add_server_arguments(erase)
    export = commands.add_parser("export", help="write a conversation and its media as a zip")
    export.add_argument("conversation_id")
    export.add_argument("--out", type=Path, required=True, help="the zip file to write")
    configuration.add_server_arguments(export)
    backup = commands.add_parser("backup", help="copy the SQLite database while it serves")
    backup.add_argument("path", type=Path)
    configuration.add_server_arguments(backup)
    migrate = commands.add_parser(
        "migrate-store", help="copy the SQLite database into an empty PostgreSQL database"
    )
    migrate.add_argument("--to", required=True, help="the PostgreSQL URL (postgresql://…)")
    configuration.add_server_arguments(migrate)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        config = configuration.from_arguments(args)
    except ConfigError as refusal:
        print(f"covisor: invalid configuration: {refusal}", file=sys.stderr)
        return 2
    logs.configure("json" if config.log_format == "json" else "text")
    try:
        return run_command(config, args, argv)
    except StoreError as refusal:
        print(f"covisor: {refusal}", file=sys.stderr)
        return 2


def run_command(config: Config, args: argparse.Namespace, argv: Sequence[str] | None = None) -> int:
    """Run the parsed command; a store that cannot be used (`StoreError`) raises out of it."""
    if args.command == "serve":
        if args.worker_index is not None:
            return run_event_loop(serve_forever(config, worker=args.worker_index))
        if config.workers > 1:
            from covisor.app.supervisor import Supervisor

            serve_argv = list(sys.argv[1:] if argv is None else argv)
            return asyncio.run(Supervisor(config, serve_argv).run())
        return run_event_loop(serve_forever(config))
    if args.command == "agents":
        return add_agent_command(config, args)
    if args.command == "shops":
        print(asyncio.run(shop_secret(config)))
        return 0
    if args.command == "backup":
        return asyncio.run(backup_database(config, args.path))
    if args.command == "migrate-store":
        return asyncio.run(migrate_store(config, args.to))
    return asyncio.run(data_command(config, args))


async def data_command(config: Config, args: argparse.Namespace) -> int:
    """`erase` or `export` one conversation, against the store and media of `config`."""
    store = make_store(config)
    lifecycle = Lifecycle()
    lifecycle.opened("store", store.close)
    # The server's media pipeline, with one thread instead of its worker processes: erasing and
    # exporting move files, they decode nothing.
    with ThreadPoolExecutor(1) as threads:
        try:
            await store.open()
            pipeline = await factories.open_media_pipeline(config, lifecycle, threads)
            privacy = factories.make_privacy(config, store, pipeline)
            cid = args.conversation_id
            if args.command == "erase":
                done = await privacy.erase(cid)
                print(f"Erased {cid}." if done else f"No conversation {cid}.")
            else:
                done = await privacy.export(cid, args.out)
                print(f"Wrote {args.out}." if done else f"No conversation {cid}.")
        finally:
            await lifecycle.close()
    return 0 if done else 1


async def backup_database(config: Config, path: Path) -> int:
    if config.mongo_url or config.database_url:
        print(
            "covisor: backup copies SQLite; back PostgreSQL up with pg_dump, "
            "MongoDB with mongodump (docs/DEPLOY.md)",
            file=sys.stderr,
        )
        return 2
    from covisor.store.sql import SQLiteStore

    store = SQLiteStore(config.database_path)
    try:
        await store.open()
        await store.backup(path)
    finally:
        await store.close()
    print(f"Wrote {path}.")
    return 0


async def migrate_store(config: Config, url: str) -> int:
    """`covisor migrate-store`: the SQLite database of `config` into the empty PostgreSQL
    database at `url` (docs/DEPLOY.md says when to stop the server)."""
    if not url.startswith(("postgresql://", "postgres://")):
        print("covisor: --to must be a postgresql:// URL", file=sys.stderr)
        return 2
    if not config.database_path.exists():
        print(f"covisor: no SQLite database at {config.database_path}", file=sys.stderr)
        return 2
    from covisor.store.sql.transfer import copy_sqlite_to_postgresql

    copied = await copy_sqlite_to_postgresql(config.database_path, url)
    rows = sum(copied.values())
    print(f"Copied {rows} rows of {len(copied)} tables into PostgreSQL.")
    return 0


def add_agent_command(config: Config, args: argparse.Namespace) -> int:
    """`covisor agents add`: the token is always the last line printed (scripts read it)."""
    password: str | None = None
    if args.password_stdin:
        if not args.email:
            print("covisor: --password-stdin needs --email", file=sys.stderr)
            return 2
        password = sys.stdin.readline().rstrip("\r\n")
        refusal = passwords.acceptable(password)
        if refusal is not None:
            print(f"covisor: {refusal}", file=sys.stderr)
            return 2
    elif args.email:
        password = passwords.generate_password()
    role: AgentRole = "admin" if args.admin else "agent"
    try:
        token = asyncio.run(create_agent(config, args.name, args.email, password, role))
    except CovisorError as refusal:
        print(f"covisor: {refusal.message}", file=sys.stderr)
        return 1
    kind = "admin" if args.admin else "agent"
    print(f"Created {kind} {args.name!r}.")
    if args.email and not args.password_stdin:
        print(f"It logs in as {args.email.strip().lower()} with this password (shown once):")
        print(password)
    print("Its token (keep it secret):")
    print(token)
    return 0


async def create_agent(
    config: Config,
    name: str,
    email: str | None = None,
    password: str | None = None,
    role: AgentRole = "agent",
) -> str:
    store = make_store(config)
    try:
        await store.open()
        settings = Settings(store, factories.first_settings(config))
        await settings.refresh()
        agents = factories.make_agents(
            config, store, default_capacity=lambda: settings.now.capacity
        )
        _, token = await agents.add(name, email=email, password=password, role=role)
    finally:
        await store.close()
    return token


async def shop_secret(config: Config) -> str:
    """The shop's identity secret (made on first use), hex: the shop signs the identities it
    passes to the widget (`covisor.identify`) with it."""
    store = make_store(config)
    try:
        await store.open()
        return (await factories.shop_secret(store)).hex()
    finally:
        await store.close()


def run_event_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run on uvloop where it is installed (Linux, macOS): its transports write and poll sockets
    several times cheaper than asyncio's, which is most of a relay's work."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


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


async def serve_forever(config: Config, worker: int | None = None) -> int:
    """Run until SIGINT (Ctrl-C) or SIGTERM, then drain and stop cleanly and quietly: no new
    connection is taken, the work under way ends (`drain_timeout`), clients are told to
    reconnect. Prints the bound address (the real port when `--port 0`). Returns the exit
    status: 0 after a stop, 2 when it cannot listen on `host:port` (a port in use, a host that
    does not resolve), said in one line on stderr once every service is closed again.

    As worker `worker` of a supervisor, it shares the port with its siblings (`SO_REUSEPORT`)
    and prints `announce.READY` instead: the supervisor announces the address once."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    app = await create_app(config)
    # Once drained, what is still open is a socket waiting for its client: cut it after a
    # second, so the client reconnects instead of the process waiting for it.
    runner = AppRunner(app, access_log=None, shutdown_timeout=1.0)
    # Everything from here on inside the try: whatever fails, `cleanup` closes the services
    # (the media worker processes among them), or the process would hang on its way out.
    try:
        await runner.setup()
        tune_runtime()
        site = web.TCPSite(
            runner, config.host, config.port, reuse_port=True if worker is not None else None
        )
        try:
            await site.start()
        except OSError as refusal:
            print(cannot_listen(config.host, config.port, refusal), file=sys.stderr, flush=True)
            return 2
        sockets = getattr(site._server, "sockets", None)
        port = sockets[0].getsockname()[1] if sockets else config.port
        if worker is not None:
            print(READY, flush=True)
        else:
            print_listening(config.host, port)
        await stop.wait()
        print("Covisor is stopping", flush=True)
        await site.stop()
        await app[COVISOR].drain(config.drain_timeout)
    finally:
        await runner.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
