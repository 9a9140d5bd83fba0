#!/usr/bin/env bash
# One command for the load benchmark: installs wrk (Debian) and Datasette (PyPI, in a
# virtual environment), builds pacts and the ceiling server in release mode, runs
# bench/run.py (pacts on SQLite and PostgreSQL, Datasette, the ceiling) and, with
# BENCH_SCALE=1, the 1000x dataset benchmark. Writes bench/RESULTS.md (and bench/SCALE.md).
# Needs a PostgreSQL on 127.0.0.1:5432 (BENCH_PG to change) for the PostgreSQL rows.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
command -v sqlite3 >/dev/null || apt-get install -y -qq sqlite3 || true
venv=${PACTS_BENCH_VENV:-/tmp/pacts-bench-venv}
[ -x "$venv/bin/datasette" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q 'datasette==0.65.5'; }
cargo build --release --bin pacts --example ceiling
if [ "${BENCH_SCALE:-1}" = 1 ]; then python3 bench/scale.py; fi
python3 bench/run.py
