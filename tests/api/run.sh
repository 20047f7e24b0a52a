#!/usr/bin/env bash
# Fuzzes every route of the real server binary against its own OpenAPI document
# (`GET /api/openapi.json`) with schemathesis: no input may get a 5xx, every answer's status,
# content type and body must be the documented ones, and every invalid request must be refused.
#
# It starts `hazardsnap-server serve --demo` on a free loopback port with a fresh data folder,
# then runs three passes, each with the token its routes need: the officers' routes as the
# district officer, the phone's routes as a freshly enrolled device, and last the session routes
# (log in, log out, change password) as an enterprise officer, whose token they may revoke.
# Settings (seed, checks) are in `schemathesis.toml` next to this script.
#
# Usage: tests/api/run.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tests/common.sh
. "$here/../common.sh"

cd "$root"
build_like_the_tests
use_venv "$here"

data="$(mktemp -d)"
"$target/debug/hazardsnap-server" serve --data "$data/server" --listen 127.0.0.1:0 --demo \
  --client-rate-per-sec 100000 --client-burst 100000 \
  >"$data/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$data"' EXIT

url=""
for _ in $(seq 1 300); do
  url="$(grep -o 'listening on http://[0-9.:]*' "$data/server.log" | sed 's/listening on //' || true)"
  [ -n "$url" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$data/server.log" >&2; echo "the server did not start" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "the server did not say where it listens" >&2; exit 1; }

demo() { "$venv/bin/python" "$here/demo.py" "$url" "$@"; }

officer="$(demo post /api/v1/session '{"username":"district.admin","password":"demo-district-2026"}' token)"
# Real ids for the routes that take one (schemathesis.toml reads them from the environment), so
# the fuzzing reaches the workflow behind a found entry instead of stopping at 404.
ids="$(demo ids "$officer")" # an assignment, so that a failure stops the script
eval "$ids"
device="$(demo post /api/v1/enroll '{"code":"E001-JOIN-DEMO","device_name":"fuzz"}' token)"
throwaway="$(demo post /api/v1/session '{"username":"union.e002","password":"demo-e002-2026"}' token)"

# From the throwaway folder: schemathesis leaves its own `.schemathesis/` where it runs.
# HAZARDSNAP_FUZZ_ARGS adds options for a deeper run by hand, e.g. "--max-examples 500 --seed 7".
st() {
  # shellcheck disable=SC2086
  (cd "$data" && "$venv/bin/schemathesis" --config-file "$here/schemathesis.toml" \
    run "$url/api/openapi.json" --url "$url" "$@" ${HAZARDSNAP_FUZZ_ARGS:-})
}

echo "-- officers' routes, as the district officer"
st -H "Authorization: Bearer $officer" --exclude-tag device --exclude-path-regex '^/api/v1/session'
echo "-- the phone's routes, as an enrolled device"
st -H "Authorization: Bearer $device" --include-tag device
echo "-- session routes, as an enterprise officer"
st -H "Authorization: Bearer $throwaway" --include-path-regex '^/api/v1/session'

# What the fuzzing did to the fixed entry: how far into the workflow it got.
demo entry "$officer" "$HAZARDSNAP_FUZZ_ENTRY"

if grep -q "panicked" "$data/server.log"; then
  grep -B2 -A10 "panicked" "$data/server.log" >&2
  echo "FAILED: the server panicked while fuzzed" >&2
  exit 1
fi
echo "API fuzzing: every route held to its document"
