"""The client's fallback limits are the server's defaults, and every limit it reads is served.

client/shared/protocol.js's `DEFAULT_LIMITS` is only used until `GET /api/config` answers (or
when it does not); if it drifted from `Config().client_limits()`, a client that could not ask
would keep to other limits than the server's, and a limit the client reads but the server does
not serve would never follow the server's config.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from covisor.config import Config
from covisor.kernel.ratelimit import RateLimit

REPO = Path(__file__).resolve().parents[2]
PRINT_DEFAULTS = (
    'import("./client/shared/protocol.js")'
    ".then((protocol) => process.stdout.write(JSON.stringify(protocol.DEFAULT_LIMITS)))"
)


def client_default_limits() -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed; reading client/shared/protocol.js needs Node >= 20")
    result = subprocess.run(
        [node, "--input-type=module", "--eval", PRINT_DEFAULTS],
        cwd=REPO,
        env={**os.environ, "NO_COLOR": "1"},
        capture_output=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    limits: dict[str, Any] = json.loads(result.stdout)
    return limits


def test_client_default_limits_are_the_servers() -> None:
    assert client_default_limits() == Config().client_limits()


def test_the_configured_rate_limits_are_served() -> None:
    """A server set to other rates serves them, so clients pace themselves under those."""
    config = Config(
        chat_rate=RateLimit(1, 2), stroke_rate=RateLimit(0.5, 1), other_rate=RateLimit(7, 9)
    )
    served = json.loads(json.dumps(config.client_limits()))
    assert served["chat_rate"] == {"rate": 1, "burst": 2}
    assert served["stroke_rate"] == {"rate": 0.5, "burst": 1}
    assert served["other_rate"] == {"rate": 7, "burst": 9}
