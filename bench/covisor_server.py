"""`covisor serve` on loopback for a benchmark: a fresh data directory, no demo, one agent."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path


class Server:
    """`covisor serve --port 0` in a child process, with one agent."""

    def __init__(self, data_dir: Path) -> None:
        env = {**os.environ, "COVISOR_SEED_DEMO": "0"}
        self.log = data_dir / "server.log"
        with self.log.open("wb") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "covisor", "serve", "--port", "0", "--data-dir", data_dir],
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=env,
            )
        deadline = time.monotonic() + 30
        while True:
            found = re.search(r"^Covisor listening on (\S+)$", self.log.read_text(), re.MULTILINE)
            if found:
                self.url = found.group(1).rstrip("/")
                break
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"covisor serve did not start:\n{self.log.read_text()}")
            time.sleep(0.05)
        added = subprocess.run(
            [sys.executable, "-m", "covisor", "agents", "add", "Bench", "--data-dir", data_dir],
            check=True,
            capture_output=True,
            timeout=30,
        )
        self.agent_token = added.stdout.decode().strip().splitlines()[-1]

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
