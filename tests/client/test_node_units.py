"""Runs the browser client's pure-logic unit tests (node's built-in runner) under pytest.

The client is plain ES modules without a build step; its DOM-free logic (event sequencing,
catch-up, viewer geometry, video drift policy, outgoing batching, i18n catalogues) is tested with
`node --test client/tests/`. This wrapper makes one `pytest` command run those too.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def test_client_node_unit_tests_pass() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed; the client unit tests need Node >= 20")
    result = subprocess.run(
        [node, "--test", "client/tests/"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    summary = "\n".join(
        line for line in result.stdout.splitlines() if line.startswith(("# ", "not ok"))
    )
    assert result.returncode == 0, f"node --test failed:\n{summary}\n{result.stderr[-4000:]}"
    assert "# fail 0" in result.stdout
    assert "# pass 0" not in result.stdout
