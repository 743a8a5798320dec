"""The demo a fresh install starts with (`seed_demo`): an admin to log in as, the one-picture
demo catalogue of `media/catalogue.json`, and the demo shop's product feed (`media/shop/`), both
loaded in the background while the server answers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from covisor.app.lifecycle import Part
from covisor.catalogue.importer import Busy, CatalogueImports
from covisor.catalogue.pictures import Shelf
from covisor.kernel.background import Background
from covisor.media.catalogue import CatalogueService
from covisor.outbox.outbound import is_loopback
from covisor.team.agents import Agents
from covisor.web.pages import CATALOGUE_DIR

log = logging.getLogger(__name__)


DEMO_AGENT_FILE = "demo-agent.txt"


async def seed_demo_agent(agents: Agents, data_dir: Path) -> None:
    """On a first start, make a demo admin and tell the operator how to log in."""
    demo = await agents.add_demo()
    if demo is None:
        return
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / DEMO_AGENT_FILE
    path.touch(0o600)
    path.chmod(0o600)
    login = f"e-mail: {demo.email}\npassword: {demo.password}\ntoken (the last line):\n{demo.token}"
    path.write_text(login + "\n")
    print(f"Created the demo admin. Log in at /agent with (also in {path}):\n{login}", flush=True)


class CatalogueSeeding:
    """Loads the demo catalogue in the background, as a lifecycle `Part`; `task` is its run
    (tests wait for it), None until started or without a catalogue file."""

    def __init__(self, catalogue: CatalogueService, path: Path = CATALOGUE_DIR / "catalogue.json"):
        self._catalogue = catalogue
        self._path = path
        self._background = Background()
        self.task: asyncio.Task[int] | None = None

    def part(self) -> Part:
        return Part("demo catalogue", self._background.stop, self._start)

    def _start(self) -> None:
        if self._path.is_file():
            self.task = self._background.spawn(self._seed(), "covisor-catalogue")

    async def _seed(self) -> int:
        try:
            added = await self._catalogue.seed(self._path)
        except Exception:
            log.exception("loading the demo catalogue failed")
            return 0
        if added:
            log.info("loaded %d demo catalogue items", added)
        return added


SHOP_DIR = CATALOGUE_DIR / "shop"
SHOP_ORIGIN = "https://shop.covisor.invalid"
"""The origin the shipped feed's links and pictures are written with; a seeding puts the
server's own in its place, and reads the pictures from `SHOP_DIR/images` (`Shelf`)."""


def shop_origin(host: str, port: int) -> str:
    """Where the demo shop's pages are, as the server is configured: the links its products
    point to (a wildcard or loopback host is `localhost`; port 0 reads as 8080)."""
    local = host in ("0.0.0.0", "::", "") or is_loopback(host)
    name = "localhost" if local else (f"[{host}]" if ":" in host else host)
    return f"http://{name}:{port or 8080}"


def shop_shelf(origin: str) -> Shelf:
    return Shelf(f"{origin}/demo/shop/images/", SHOP_DIR / "images")


class ShopSeeding:
    """Imports the demo shop's feed through the importer, as a shop's own feed would be, on a
    first start (when no import was ever made); as a lifecycle `Part`, like `CatalogueSeeding`."""

    def __init__(self, imports: CatalogueImports, origin: str, path: Path = SHOP_DIR / "feed.xml"):
        self._imports = imports
        self._origin = origin
        self._path = path
        self._background = Background()
        self.task: asyncio.Task[int] | None = None

    def part(self) -> Part:
        return Part("demo shop", self._background.stop, self._start)

    def _start(self) -> None:
        if self._path.is_file():
            self.task = self._background.spawn(self._seed(), "covisor-demo-shop")

    async def _seed(self) -> int:
        if await self._imports.recent(1):
            return 0
        feed = self._path.read_bytes().replace(SHOP_ORIGIN.encode(), self._origin.encode())
        try:
            record = await self._imports.from_file(_once(feed))
        except Busy:
            return 0
        log.info("importing the demo shop's feed (%s)", record.id)
        return 1


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data
