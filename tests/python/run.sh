#!/usr/bin/env bash
# The FFI test bench: builds the core as a shared library, generates its Python bindings with
# the workspace's own uniffi-bindgen into tests/python/generated/ (git-ignored), and runs the
# pytest suite that drives the core exactly as the Kotlin and Swift apps do.
#
# Usage: tests/python/run.sh [pytest args...]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"

cd "$root"
# The package selection (whole workspace) and dev units (tests) of `cargo test --workspace`, so
# every dependency's features unify the same way and nothing built by the test run is rebuilt
# (`-p hazardsnap-core` alone would resolve features afresh and compile a second tree).
cargo build --quiet --workspace --lib --bins --tests

case "$(uname -s)" in
  Darwin) lib="$target/debug/libhazardsnap_core.dylib" ;;
  *) lib="$target/debug/libhazardsnap_core.so" ;;
esac

rm -rf "$here/generated"
mkdir -p "$here/generated"
"$target/debug/uniffi-bindgen" generate --library "$lib" --language python \
  --out-dir "$here/generated" >/dev/null
cp "$lib" "$here/generated/"

venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  -r "$here/requirements.txt"

cd "$here"
exec "$venv/bin/python" -m pytest -q "$@"
