#!/usr/bin/env bash
# The slow reliability checks (run by .ci/run after cargo test): kill -9 durability on
# SQLite, PostgreSQL outages on a throwaway cluster, and on both backends a bad-input sweep
# and Schemathesis against /openapi.json. Needs a release build and a local PostgreSQL.
#   tests/faults/run.sh target/release/pacts postgres://postgres@127.0.0.1:5432
set -euo pipefail
here=$(dirname "$(realpath "$0")")
bin=$(realpath "${1:-$here/../../target/release/pacts}")
cd "$here"
pg_base=${2:-postgres://postgres@127.0.0.1:5432}
venv=${PACTS_CI_VENV:-/tmp/pacts-ci-venv}
[ -x "$venv/bin/schemathesis" ] || "$venv/bin/pip" install -q 'schemathesis==4.32.5'
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  psql "$pg_base/postgres" -qc "drop database if exists pacts_faults" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== C1: kill -9 during a write burst (SQLite), 20 runs"
python3 kill9.py --bin "$bin" --runs 20

echo "== storage faults (SQLite on a 24 MiB tmpfs): disk full, read-only file, recovery without restart"
python3 disk_full.py --bin "$bin"

echo "== D1/D4/D7: PostgreSQL outages on a throwaway cluster"
python3 pg_outage.py --bin "$bin"

echo "== a frozen peer: one of two processes SIGSTOPped inside a write for 15 s (PostgreSQL)"
python3 frozen_peer.py --bin "$bin" --pg "$pg_base"

echo "== PostgreSQL over TLS on a throwaway cluster (require, verify-full, PGPASSWORD)"
python3 pg_tls.py --bin "$bin"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

sweep() { # backend url
  local name=$1 url=$2 port token
  port=$(free_port)
  DATABASE_URL=$url PACTS_LOG=warn "$bin" migrate >/dev/null
  token=$(DATABASE_URL=$url PACTS_LOG=warn "$bin" token create "faults-$name" 2>/dev/null)
  DATABASE_URL=$url PACTS_BIND=127.0.0.1:$port PACTS_LOG=warn PACTS_AUTH_FAILURE_LIMIT=1000000 "$bin" serve >"$work/$name.log" 2>&1 &
  pids+=($!)
  python3 -c "import sys; sys.path.insert(0, '.'); from common import wait_for; sys.exit(0 if wait_for($port) is not None else 1)"
  # Conformance first: it expects the seed data, which Schemathesis' writes then change.
  echo "== contract conformance on $name (every endpoint, strict schemas)"
  "$venv/bin/python" ../contract/conformance.py --base "http://127.0.0.1:$port" --token "$token"
  echo "== G1: Schemathesis on $name (not_a_server_error, response_schema_conformance)"
  "$venv/bin/schemathesis" run "http://127.0.0.1:$port/openapi.json" \
    --checks not_a_server_error,response_schema_conformance \
    -H "Authorization: Bearer $token" --max-examples 10 --workers 1 --seed 20261127 --no-color 2>&1 | tail -25
  echo "== I1-I15: bad-input sweep on $name"
  python3 bad_input.py --base "http://127.0.0.1:$port" --token "$token"
}

sweep sqlite "sqlite://$work/sweep.db"
psql "$pg_base/postgres" -qc "drop database if exists pacts_faults" -c "create database pacts_faults"
sweep postgres "$pg_base/pacts_faults"
echo "faults: 9 passed, 0 failed"
