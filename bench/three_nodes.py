"""Three nodes, one killed, then a rolling upgrade: the suite's test, run heavier.

tests/app/test_three_nodes.py starts three `covisor serve` nodes that share nothing but
PostgreSQL, Redis and a SeaweedFS S3 server, behind Debian's nginx with deploy/nginx.conf; a
shopper and an agent chat in each conversation through it while the node holding them is killed
with SIGKILL, then while all three are upgraded one after the other to a version with a schema
migration. It checks that nothing acknowledged is lost or repeated and every client is back on a
live node within 5 s, and prints the figures. This script runs it with `--conversations` (the
suite uses 2) and `--rounds` times, and prints the figures of each round.

Usage: python bench/three_nodes.py [--conversations 20] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    env = {**os.environ, "COVISOR_THREE_NODES_CONVERSATIONS": str(args.conversations)}
    command = [
        sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-s", "-n", "0",
        "tests/app/test_three_nodes.py",
    ]  # fmt: skip
    failed = 0
    for round_ in range(1, args.rounds + 1):
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        figures = [
            line
            for line in done.stdout.splitlines()
            if line.startswith(("three nodes", "rolling upgrade"))
        ]
        print(f"round {round_}: {'passed' if done.returncode == 0 else 'FAILED'}")
        for line in figures:
            print(f"  {line}")
        if done.returncode != 0:
            failed += 1
            print(done.stdout[-3000:])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
