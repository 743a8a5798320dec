"""Runs the browser client's pure-logic unit tests (node's built-in runner) under pytest.

The client is plain ES modules without a build step; its DOM-free logic (event sequencing,
catch-up, viewer geometry, video drift policy, outgoing batching, i18n catalogues) is tested with
node's test runner in `client/tests/**/*.test.mjs` (the folders mirror `client/`). Each of those
files is one pytest item here (id: its path under `client/tests/`), so one `pytest` command runs
them and a failure names the file; its message is node's own report, which names the failing test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TESTS_DIR = REPO / "client" / "tests"
NODE_TESTS = sorted(TESTS_DIR.rglob("*.test.mjs"))


def test_client_has_node_unit_tests() -> None:
    assert NODE_TESTS, "no client/tests/**/*.test.mjs found"


@pytest.mark.parametrize(
    "path", NODE_TESTS, ids=lambda path: path.relative_to(TESTS_DIR).as_posix()
)
def test_node_unit_file_passes(path: Path) -> None:
    name = path.relative_to(REPO).as_posix()
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed; the client unit tests need Node >= 20")
    result = subprocess.run(
        [node, "--test", "--test-reporter=spec", name],
        cwd=REPO,
        env={**os.environ, "NO_COLOR": "1"},
        capture_output=True,
        encoding="utf-8",
        errors="replace",
        timeout=120,
        check=False,
    )
    report = f"{result.stdout[-8000:]}\n{result.stderr[-4000:]}".strip()
    if result.returncode != 0:
        pytest.fail(f"node --test {name} failed:\n{report}", pytrace=False)
    passed = re.search(r"^\S+ pass (\d+)$", result.stdout, re.MULTILINE)
    failed = re.search(r"^\S+ fail (\d+)$", result.stdout, re.MULTILINE)
    assert passed and failed, f"no summary from node --test {name}:\n{report}"
    assert failed.group(1) == "0", f"node --test {name} reported failures:\n{report}"
    assert int(passed.group(1)) > 0, f"node --test {name} ran no tests:\n{report}"
