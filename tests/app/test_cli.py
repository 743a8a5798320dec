"""`covisor serve` stops cleanly and quietly on SIGINT (Ctrl-C) and SIGTERM (docker stop)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
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


async def serve_on_a_taken_port(data: Path, *extra: str) -> tuple[int, int, str, str]:
    """`covisor serve *EXTRA` on a loopback port another socket listens on: (port, status,
    stdout, stderr), waiting at most 30 s for it to end."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port: int = taken.getsockname()[1]
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "covisor",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--data-dir",
            str(data),
            *extra,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "COVISOR_SEED_DEMO": "0", "COVISOR_MEDIA_WORKERS": "1"},
        )
        try:
            out, err = await asyncio.wait_for(process.communicate(), 30)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    assert process.returncode is not None
    return port, process.returncode, out.decode(), err.decode()


async def test_serve_on_a_port_in_use_says_so_and_exits_2(tmp_path: Path) -> None:
    """Not a traceback and then a process hanging, deaf to SIGTERM: one line, status 2."""
    port, status, out, err = await serve_on_a_taken_port(tmp_path / "data")
    assert status == 2
    assert err.strip() == f"covisor: cannot listen on 127.0.0.1:{port}: Address already in use"
    assert "Covisor listening" not in out


@pytest.mark.redis
async def test_workers_on_a_port_in_use_give_up_at_once(tmp_path: Path, redis: str) -> None:
    """The supervisor stops when its first worker cannot listen, without restarting it."""
    port, status, out, err = await serve_on_a_taken_port(
        tmp_path / "data", "--workers", "2", "--redis-url", redis
    )
    assert status == 1
    assert f"covisor: cannot listen on 127.0.0.1:{port}: Address already in use" in err
    assert "a worker ended before the server listened" in err
    assert "Traceback" not in err and "Covisor listening" not in out
