#!/usr/bin/env bash
# The FFI test bench: builds the core as a shared library, generates its Python bindings with
# the workspace's own uniffi-bindgen into tests/python/generated/ (git-ignored), and runs the
# pytest suite that drives the core exactly as the Kotlin and Swift apps do.
#
# Usage: tests/python/run.sh [pytest args...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tests/common.sh
. "$here/../common.sh"

cd "$root"
build_like_the_tests

case "$(uname -s)" in
  Darwin) lib="$target/debug/libhazardsnap_core.dylib" ;;
  *) lib="$target/debug/libhazardsnap_core.so" ;;
esac

rm -rf "$here/generated"
mkdir -p "$here/generated"
"$target/debug/uniffi-bindgen" generate --library "$lib" --language python \
  --out-dir "$here/generated" >/dev/null
cp "$lib" "$here/generated/"

use_venv "$here"

cd "$here"
exec "$venv/bin/python" -m pytest -q "$@"
