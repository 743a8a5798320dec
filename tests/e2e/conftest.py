"""End-to-end fixtures: one `covisor serve` child process and one headless Chromium per module.

Each test gets fresh browser contexts: the agent on a desktop viewport, the shopper on a phone
viewport with touch. Screenshots go to tests/artifacts/e2e/ (git-ignored), always at the end of a
test and wherever a test calls `snap`.

The server runs with some limits other than its defaults (`SERVER_LIMITS`), which the clients
only know from `GET /api/config`: an 8-digit PIN does not fit a field sized for the default six,
and a stroke sent in batches over the limit would be refused.

With `COVISOR_TEST_STORE=postgresql` (scripts/test.sh --postgresql) each server keeps its state
in a PostgreSQL schema of its own in the run's database, and the CLI commands the tests run
against its data directory are pointed at it too (`cli_env`).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    APIRequestContext,
    Browser,
    BrowserContext,
    Playwright,
    expect,
    sync_playwright,
)

from tests.conftest import TEST_STORE, new_schema
from tests.e2e.media_files import counter_webm
from tests.e2e.polling import WAIT_S
from tests.e2e.sides import DESKTOP, GREETING, PHONE, AgentConsole, ShopperWidget, Side

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "e2e"
CATALOGUE = Path(__file__).resolve().parents[2] / "media" / "catalogue.json"
WAIT_MS = WAIT_S * 1000
START_TIMEOUT_S = 30.0
SERVER_LIMITS = {"pin_length": 8, "max_message_chars": 1500, "max_stroke_points": 8}
"""Set through `COVISOR_*` variables; each differs from the server's (and client's) default."""

_POSTGRES: dict[str, str] = {}
"""With `COVISOR_TEST_STORE=postgresql`: the run's database (`database`) and, per data
directory, the URL of the schema its server keeps its state in."""


@pytest.fixture(scope="session", autouse=True)
def _servers_store(request: pytest.FixtureRequest) -> None:
    if TEST_STORE == "postgresql":
        _POSTGRES["database"] = request.getfixturevalue("postgres_database")


def cli_env(data_dir: Path) -> dict[str, str]:
    """The environment of a `covisor` command (or server) on `data_dir`: its server's
    PostgreSQL schema when the run keeps state there (made on first use), else as it is."""
    if "database" not in _POSTGRES:
        return dict(os.environ)
    key = str(data_dir)
    if key not in _POSTGRES:
        _POSTGRES[key] = new_schema(_POSTGRES["database"], "e2e")[1]
    return {**os.environ, "COVISOR_DATABASE_URL": _POSTGRES[key]}


@dataclass
class CovisorServer:
    """`covisor serve --port 0` in a child process with the demo agent and catalogue, and
    `limits` (`SERVER_LIMITS`) instead of some default ones."""

    url: str
    data_dir: Path
    demo_token: str
    limits: dict[str, int]

    def add_agent(self, name: str) -> str:
        """`covisor agents add NAME` against the running server's data; returns the token."""
        out = subprocess.run(
            [sys.executable, "-m", "covisor", "agents", "add", name, "--data-dir", self.data_dir],
            env=cli_env(self.data_dir),
            check=True,
            capture_output=True,
            timeout=START_TIMEOUT_S,
        )
        return out.stdout.decode().strip().splitlines()[-1]

    def shop_secret(self) -> str:
        """`covisor shops secret` against the running server's data: the shop's HMAC key."""
        out = subprocess.run(
            [sys.executable, "-m", "covisor", "shops", "secret", "--data-dir", self.data_dir],
            env=cli_env(self.data_dir),
            check=True,
            capture_output=True,
            timeout=START_TIMEOUT_S,
        )
        return out.stdout.decode().strip().splitlines()[-1]


def _start_server(
    data_dir: Path, log: Path, extra_env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """Start `covisor serve` on a free port; `extra_env` (`COVISOR_*`) overrides the defaults
    set here, for a module that needs another configuration."""
    env = {
        **cli_env(data_dir),
        "COVISOR_SEED_DEMO": "1",
        "COVISOR_DEMO_SHOP": "0",
        "COVISOR_MEDIA_WORKERS": "1",
        **{f"COVISOR_{name.upper()}": str(value) for name, value in SERVER_LIMITS.items()},
        # Shoppers chat into the queue with no console open: several modules play agents through
        # the API only. test_after_hours.py tests leave-a-message.
        "COVISOR_LEAVE_MESSAGE_WITHOUT_AGENTS": "0",
        # As tests/conftest.py's servers: a busy machine's event loop lag must not shed strokes.
        "COVISOR_SHED_AFTER": "10",
        **(extra_env or {}),
    }
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "covisor", "serve", "--port", "0", "--data-dir", data_dir],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
        )
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        found = re.search(r"^Covisor listening on (\S+)$", log.read_text(), re.MULTILINE)
        if found:
            return process, found.group(1)
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"covisor serve did not start:\n{log.read_text()}")


@contextmanager
def served(data_dir: Path, log: Path, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """`covisor serve` (`_start_server`) until the block ends, then stopped; yields its URL."""
    process, url = _start_server(data_dir, log, extra_env)
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_for_catalogue(api: APIRequestContext, token: str) -> None:
    """The demo catalogue loads in the background after start: wait until all of it is listed."""
    expected = {item["id"] for item in json.loads(CATALOGUE.read_text())["items"]}
    deadline = time.monotonic() + START_TIMEOUT_S
    listed: set[str] = set()
    while time.monotonic() < deadline:
        answer = api.get("/api/catalogue", headers={"Authorization": f"Bearer {token}"})
        listed = {item["id"] for item in answer.json().get("items", [])} if answer.ok else set()
        if expected <= listed:
            return
        time.sleep(0.2)
    raise RuntimeError(f"the demo catalogue did not load: {sorted(listed)}")


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{CHROMIUM} is required in CI (install Debian's chromium)")
        pytest.skip(f"{CHROMIUM} is not installed")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True
    )
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def server(
    playwright: Playwright, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[CovisorServer]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    data_dir = tmp_path_factory.mktemp("covisor-e2e")
    # One log per module: modules run side by side under pytest-xdist, and `_start_server` reads
    # the server's URL from its log.
    log = ARTIFACTS / f"server-{request.module.__name__.rsplit('.', 1)[-1]}.log"
    with served(data_dir, log) as url:
        token = (data_dir / "demo-agent.txt").read_text().strip().splitlines()[-1]
        api = playwright.request.new_context(base_url=url)
        try:
            _wait_for_catalogue(api, token)
        finally:
            api.dispose()
        yield CovisorServer(url, data_dir, token, dict(SERVER_LIMITS))


@pytest.fixture(scope="module")
def api(playwright: Playwright, server: CovisorServer) -> Iterator[APIRequestContext]:
    """REST calls as the demo agent, for set-up the UI under test does not cover."""
    context = playwright.request.new_context(
        base_url=server.url, extra_http_headers={"Authorization": f"Bearer {server.demo_token}"}
    )
    yield context
    context.dispose()


@pytest.fixture(autouse=True)
def _expect_timeout() -> None:
    expect.set_options(timeout=WAIT_MS)


class Contexts:
    """Browser contexts opened for one test; each page's uncaught errors are collected."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.opened: list[BrowserContext] = []
        self.page_errors: list[str] = []

    def new(self, label: str, options: dict[str, Any]) -> BrowserContext:
        context = self.browser.new_context(**options)
        context.set_default_timeout(WAIT_MS)
        context.on(
            "page",
            lambda page: page.on(
                "pageerror", lambda error: self.page_errors.append(f"{label}: {error}")
            ),
        )
        self.opened.append(context)
        return context

    def close(self) -> None:
        for context in self.opened:
            context.close()


@pytest.fixture
def contexts(browser: Browser) -> Iterator[Contexts]:
    opened = Contexts(browser)
    yield opened
    opened.close()
    assert opened.page_errors == [], "uncaught errors in the pages"


Snap = Callable[[str], None]


@pytest.fixture
def sides() -> list[tuple[str, Side]]:
    """(label, side) pairs that `snap` photographs; tests' fixtures register theirs here."""
    return []


@pytest.fixture
def snap(request: pytest.FixtureRequest, sides: list[tuple[str, Side]]) -> Iterator[Snap]:
    """`snap("step")` saves a screenshot of every side as <test>-<step>-<side>.png; the end
    state is saved after the test whatever its outcome."""
    test = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)

    def take(step: str) -> None:
        for label, side in sides:
            side.page.screenshot(path=ARTIFACTS / f"{test}-{step}-{label}.png")

    yield take
    take("end")


@pytest.fixture
def agent(
    server: CovisorServer, contexts: Contexts, sides: list[tuple[str, Side]], snap: Snap
) -> AgentConsole:
    """A new agent logged in to the console through the login form."""
    token = server.add_agent("Alex")
    page = contexts.new("agent", DESKTOP).new_page()
    console = AgentConsole(page, server.url, name="Alex")
    console.log_in(token)
    sides.append(("agent", console))
    return console


@pytest.fixture
def visitor(
    server: CovisorServer, contexts: Contexts, sides: list[tuple[str, Side]], snap: Snap
) -> ShopperWidget:
    """A shopper on a phone who opened the chat on the demo shop and has not written yet."""
    page = contexts.new("shopper", PHONE).new_page()
    widget = ShopperWidget(page, server.url)
    widget.open_widget()
    sides.append(("shopper", widget))
    return widget


@pytest.fixture
def shopper(visitor: ShopperWidget) -> ShopperWidget:
    """The visitor after writing `GREETING`: a conversation waiting for an agent."""
    visitor.start_chat(GREETING)
    return visitor


@pytest.fixture
def accepted(agent: AgentConsole, shopper: ShopperWidget) -> tuple[AgentConsole, ShopperWidget]:
    """The agent took the shopper's conversation from the queue; both see it active."""
    agent.accept(shopper.conversation_id())
    expect(shopper.by("widget-panel")).to_have_attribute("data-status", "active")
    expect(shopper.by("conversation-status")).to_contain_text(agent.name)
    return agent, shopper


@pytest.fixture(scope="module")
def counter_video(api: APIRequestContext, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A 30 s catalogue video added through `POST /api/catalogue`; returns its item id."""
    path = counter_webm(tmp_path_factory.mktemp("video") / "counter.webm")
    answer = api.post(
        "/api/catalogue",
        multipart={
            "file": {"name": "counter.webm", "mimeType": "video/webm", "buffer": path.read_bytes()},
            "title": "Counter",
        },
    )
    assert answer.status == 201, answer.text()
    entry: dict[str, Any] = answer.json()
    assert entry["kind"] == "video" and entry["duration"] == pytest.approx(30, abs=0.2), entry
    return str(entry["id"])
