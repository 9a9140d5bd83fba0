#!/usr/bin/env bash
# Generated clients of /openapi.json, used for real against a live pacts on SQLite:
# a Python client (openapi-python-client, which must generate with zero warnings) and
# TypeScript types (openapi-typescript) used through openapi-fetch by a client checked
# with `tsc --strict` (no casts, no `any`). Both read typed answers and CSV, write with a
# token, patch with a typed patch and revert through the change log.
#   tests/clients/run.sh target/release/pacts
set -euo pipefail
here=$(dirname "$(realpath "$0")")
bin=$(realpath "${1:-$here/../../target/release/pacts}")
venv=${PACTS_CI_VENV:-/tmp/pacts-ci-venv}
cd "$here"
[ -x "$venv/bin/openapi-python-client" ] || "$venv/bin/pip" install -q 'openapi-python-client==0.29.1'
npm ci --no-audit --no-fund --loglevel=error >/dev/null
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work" build generated; }
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url="sqlite://$work/clients.db"
DATABASE_URL=$url PACTS_LOG=warn "$bin" migrate >/dev/null
token=$(DATABASE_URL=$url PACTS_LOG=warn "$bin" token create clients 2>/dev/null)
DATABASE_URL=$url PACTS_BIND=127.0.0.1:$port PACTS_LOG=warn "$bin" serve >"$work/serve.log" 2>&1 &
pid=$!
python3 -c "import sys; sys.path.insert(0, '../faults'); from common import wait_for; sys.exit(0 if wait_for($port) is not None else 1)"
base="http://127.0.0.1:$port"
python3 -c "import urllib.request; open('$work/openapi.json','wb').write(urllib.request.urlopen('$base/openapi.json').read())"

echo "== Python client (openapi-python-client)"
PATH="$venv/bin:$PATH" openapi-python-client generate --path "$work/openapi.json" --meta none \
  --output-path "$work/py/pacts_client" >"$work/py-gen.log" 2>&1
cat "$work/py-gen.log"
if grep -qi "warning\|error" "$work/py-gen.log"; then echo "FAIL: openapi-python-client warned"; exit 1; fi
py_files=$(find "$work/py/pacts_client" -name '*.py' | wc -l)
py_lines=$(find "$work/py/pacts_client" -name '*.py' -exec cat {} + | wc -l)
py_models=$(find "$work/py/pacts_client/models" -name '*.py' ! -name '__init__.py' | wc -l)
echo "generated: $py_files files, $py_lines lines, $py_models models, 0 warnings"
PYTHONPATH="$work/py" "$venv/bin/python" client.py --base "$base" --token "$token"

echo "== TypeScript types (openapi-typescript) and a strict client"
npx openapi-typescript "$work/openapi.json" -o generated/pacts.ts >"$work/ts-gen.log" 2>&1
cat "$work/ts-gen.log"
if grep -qi "warn\|error" "$work/ts-gen.log"; then echo "FAIL: openapi-typescript warned"; exit 1; fi
echo "generated: $(wc -l < generated/pacts.ts) lines of types"
if sed 's://.*$::' client.ts | grep -nE '\bany\b|[^=!]\bas [A-Za-z{(]|<[A-Z][A-Za-z]*>[(a-z]|[a-z)]!\.|[a-z)]!\)'; then
  echo "FAIL: client.ts uses a cast, a non-null assertion or any"; exit 1
fi
npx tsc -p tsconfig.json
PACTS_BASE="$base" PACTS_TOKEN="$token" node build/client.js
echo "clients: 2 passed, 0 failed"
