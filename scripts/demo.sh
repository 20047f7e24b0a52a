#!/usr/bin/env bash
# The main job of hazardsnap on one machine: the server with a demo district on the embedded
# default (one SQLite file and a photo folder under ./hazardsnap-demo/server), and the phone CLI
# against it (its own data folder ./hazardsnap-demo/phone): enroll, capture offline, sync, list.
# The server keeps running until Ctrl-C so the API can be explored.
set -euo pipefail
cd "$(dirname "$0")/.."

LISTEN="${HAZARDSNAP_LISTEN:-127.0.0.1:8080}"
DATA="${HAZARDSNAP_DEMO_DIR:-./hazardsnap-demo}"
CODE="${HAZARDSNAP_DEMO_CODE:-E001-JOIN-DEMO}"

# libjpeg-turbo's x86 SIMD is assembled by nasm; without it every photo goes through plain C and
# capture is about 1.6x slower. A silent slow build is worse than a stop: require it.
case "$(uname -m)" in
  x86_64 | amd64 | i?86)
    if ! command -v nasm >/dev/null && [ "${HAZARDSNAP_ALLOW_NO_SIMD:-}" != 1 ]; then
      echo "nasm is missing: libjpeg-turbo would build without SIMD (capture about 1.6x slower)." >&2
      echo "Install it (Debian/Ubuntu: sudo apt-get install nasm; macOS: brew install nasm), or set" >&2
      echo "HAZARDSNAP_ALLOW_NO_SIMD=1 to build the slow way. (缺少 nasm：拍照处理会慢约 1.6 倍。)" >&2
      exit 1
    fi
    ;;
esac

echo "== building (first time: a few minutes)"
cargo build -q -p hazardsnap-server -p hazardsnap-cli
BIN=./target/debug
[ -n "${CARGO_TARGET_DIR:-}" ] && BIN="$CARGO_TARGET_DIR/debug"

mkdir -p "$DATA"
echo "== starting the server on http://$LISTEN (data: $DATA/server)"
"$BIN/hazardsnap-server" serve --data "$DATA/server" --listen "$LISTEN" --demo &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT INT TERM

host="${LISTEN%:*}"; port="${LISTEN##*:}"
for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then break; fi
  kill -0 $SERVER 2>/dev/null || { echo "the server did not start" >&2; exit 1; }
  sleep 0.1
done

phone() { "$BIN/hazardsnap" --data "$DATA/phone" "$@"; }

echo
echo "== phone: enroll with code $CODE"
if [ ! -e "$DATA/phone/enrolled" ]; then
  phone enroll --server "http://$LISTEN" --code "$CODE" --name "演示手机 demo phone" && touch "$DATA/phone/enrolled"
fi

echo "== phone: capture a hazard (works offline; the report waits in the outbox)"
phone capture tests/fixtures/demo-valve.jpg \
  --note "液氯储罐区阀门泄漏，地面有积液 / valve leaking at the chlorine tank farm" \
  --category equipment_guarding --severity major --site E001-P01

echo "== phone: sync"
phone sync --json

echo "== phone: list"
phone list

echo
echo "The server keeps running on http://$LISTEN (OpenAPI: http://$LISTEN/api/openapi.json)."
echo "Officer logins and enrollment codes are printed above. Ctrl-C stops it."
wait $SERVER
