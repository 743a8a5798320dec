"""Translation engines for the tests, a plugin of tests/conftest.py: a real Apertium APy
(Debian's `apertium-apy` with `apertium-eng-spa`, which scripts/test.sh installs) and a loopback
server that speaks the LibreTranslate API as its documentation describes (not LibreTranslate
itself)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.conftest import free_port

APY = "/usr/bin/apertium-apy"
MODES = Path("/usr/share/apertium/modes")


@dataclass
class ApertiumServer:
    """A running `apertium-apy` that a test may kill and start again on its port."""

    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [APY, "-p", str(self.port), str(MODES)],
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/listPairs", timeout=2) as answer:
                    if b"spa" in answer.read():
                        return
            except OSError:
                pass
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"apertium-apy did not start: {self.log.read_text()[-2000:]}")
            time.sleep(0.1)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture(scope="session")
def apertium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApertiumServer]:
    """A real Apertium APy with English↔Spanish on a loopback port, for the whole run (one per
    xdist worker). Fails, never skips, when it is not installed and CI=true."""
    if shutil.which(APY) is None or not (MODES / "eng-spa.mode").exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("the translation tests need apertium-apy and apertium-eng-spa")
        pytest.skip("apertium-apy with apertium-eng-spa is not installed")
    server = ApertiumServer(free_port(), tmp_path_factory.mktemp("apertium") / "apy.log")
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def apertium_up(apertium: ApertiumServer) -> ApertiumServer:
    """`apertium`, running (a test before may have killed it)."""
    if apertium.process is None or apertium.process.poll() is not None:
        apertium.start()
    return apertium


WORDS = {
    ("es", "en"): {"hola": "hello", "zapatillas": "sneakers", "rojas": "red"},
    ("en", "es"): {"hello": "hola", "yes": "sí"},
}


@dataclass
class LibreTranslateDouble:
    """What the loopback server was asked, and how it answers (`delay`, `down`)."""

    url: str = ""
    asked: list[dict[str, Any]] = field(default_factory=list)
    delay: float = 0.0
    down: bool = False
    api_key: str | None = None


def _translate(text: str, pair: tuple[str, str]) -> str:
    words = WORDS.get(pair, {})
    return " ".join(words.get(word.lower(), word) for word in text.split())


@pytest.fixture
async def libretranslate() -> AsyncIterator[LibreTranslateDouble]:
    """A loopback server speaking the LibreTranslate API (`GET /languages`, `POST
    /translate`), translating word by word from a tiny Spanish→English dictionary and
    recording every request."""
    double = LibreTranslateDouble()

    async def languages(request: web.Request) -> web.Response:
        if double.down:
            return web.json_response({"error": "down"}, status=500)
        return web.json_response(
            [
                {"code": "en", "name": "English", "targets": ["es"]},
                {"code": "es", "name": "Spanish", "targets": ["en"]},
                {"code": "pl", "name": "Polish", "targets": []},
            ]
        )

    async def translate(request: web.Request) -> web.Response:
        body = await request.json()
        double.asked.append(body)
        if double.delay:
            await asyncio.sleep(double.delay)
        if double.down:
            return web.json_response({"error": "down"}, status=500)
        if double.api_key is not None and body.get("api_key") != double.api_key:
            return web.json_response({"error": "Invalid API key"}, status=403)
        pair = (body["source"], body["target"])
        if pair not in {("en", "es"), ("es", "en")}:
            return web.json_response({"error": f"{pair[0]} is not supported"}, status=400)
        return web.json_response({"translatedText": _translate(body["q"], pair)})

    app = web.Application()
    app.router.add_get("/languages", languages)
    app.router.add_post("/translate", translate)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    double.url = str(server.make_url("")).rstrip("/")
    try:
        yield double
    finally:
        await server.close()
