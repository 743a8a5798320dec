"""`covisor serve` stops cleanly and quietly on SIGINT (Ctrl-C) and SIGTERM (docker stop)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.conftest import serve_process


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
async def test_serve_stops_quietly_on_a_signal(tmp_path: Path, signum: signal.Signals) -> None:
    process = await serve_process(
        tmp_path / "data",
        env={**os.environ, "COVISOR_SEED_DEMO": "0", "COVISOR_MEDIA_WORKERS": "1"},
    )
    assert process.stdout is not None
    while not (await asyncio.wait_for(process.stdout.readline(), 20)).startswith(b"Covisor"):
        pass
    process.send_signal(signum)
    rest = await asyncio.wait_for(process.stdout.read(), 20)
    assert await process.wait() == 0
    text = rest.decode()
    assert "Covisor is stopping" in text
    assert "Traceback" not in text and "KeyboardInterrupt" not in text and "leaked" not in text


async def test_agents_add_refuses_a_password_from_stdin_without_an_email(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "covisor",
        "agents",
        "add",
        "Ann",
        "--password-stdin",
        "--data-dir",
        str(tmp_path / "data"),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate(b"a-long-password\n")
    assert process.returncode == 2
    assert b"--password-stdin needs --email" in err and not out
