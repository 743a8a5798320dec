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
from covisor.web.pages import CATALOGUE_DIR, SHOP_DIR, SHOP_FEED, shop_feed_at

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


class Seeding:
    """Loads a demo file in the background, as a lifecycle `Part`: `task` is its run (tests
    wait for it), None until started or without the file; `load` is what loading it means."""

    name = "demo"

    def __init__(self, path: Path) -> None:
        self._path = path
        self._background = Background()
        self.task: asyncio.Task[int] | None = None

    def part(self) -> Part:
        return Part(self.name, self._background.stop, self._start)

    def _start(self) -> None:
        if self._path.is_file():
            self.task = self._background.spawn(self._seed(), f"covisor-{self.name}")

    async def _seed(self) -> int:
        try:
            done = await self.load(self._path)
        except Exception:
            log.exception("loading the %s failed", self.name)
            return 0
        if done:
            log.info("%s: %d loaded", self.name, done)
        return done

    async def load(self, path: Path) -> int:
        raise NotImplementedError


class CatalogueSeeding(Seeding):
    """The one-picture demo catalogue (`media/catalogue.json`): its items not yet there."""

    name = "demo catalogue"

    def __init__(self, catalogue: CatalogueService, path: Path = CATALOGUE_DIR / "catalogue.json"):
        super().__init__(path)
        self._catalogue = catalogue

    async def load(self, path: Path) -> int:
        return await self._catalogue.seed(path)


def shop_origin(host: str, port: int) -> str:
    """Where the demo shop's pages are, as the server is configured: the links its products
    point to (a wildcard or loopback host is `localhost`; port 0 reads as 8080)."""
    local = host in ("0.0.0.0", "::", "") or is_loopback(host)
    name = "localhost" if local else (f"[{host}]" if ":" in host else host)
    return f"http://{name}:{port or 8080}"


def shop_shelf(origin: str) -> Shelf:
    return Shelf(f"{origin}/demo/shop/images/", SHOP_DIR / "images")


class ShopSeeding(Seeding):
    """The demo shop's feed, imported through the importer as a shop's own feed would be, on a
    first start (when no import was ever made); 1 when it started the import."""

    name = "demo shop"

    def __init__(self, imports: CatalogueImports, origin: str, path: Path = SHOP_FEED):
        super().__init__(path)
        self._imports = imports
        self._origin = origin

    async def load(self, path: Path) -> int:
        if await self._imports.recent(1):
            return 0
        feed = await asyncio.to_thread(shop_feed_at, self._origin, path)
        try:
            await self._imports.from_file(_once(feed))
        except Busy:
            return 0
        return 1


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data
