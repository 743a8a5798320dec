"""The demo a fresh install starts with (`seed_demo`): an admin to log in as, and the demo
catalogue of `media/catalogue.json`, loaded in the background while the server answers."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from covisor.app.lifecycle import Part
from covisor.kernel.background import Background
from covisor.media.catalogue import CatalogueService
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
