#!/usr/bin/env bash
# Install everything the test suite needs on a fresh machine, then lint, type-check and test.
# Usage: bash scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
# pip runs only when pyproject.toml changed since the last successful install into this .venv
# (a new .venv has no stamp); delete the stamp to force a reinstall.
stamp=.venv/.covisor-test-install
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e '.[test]'
    echo "$want" >"$stamp"
fi

# Lint and type-check before the tests; either failing fails the run.
.venv/bin/python -m ruff check covisor tests bench
.venv/bin/python -m mypy # files and strictness: [tool.mypy] in pyproject.toml

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
redis_up() { (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; }
redis_up || command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! redis_up; then
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null \
        || redis_up
fi

exec .venv/bin/python -m pytest "$@"
