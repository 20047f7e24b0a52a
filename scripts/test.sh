#!/usr/bin/env bash
# Runs every test of hazardsnap: the Rust workspace (unit, integration and end-to-end tests
# against real SQLite files and real servers on loopback), the photo pipeline's pure-Rust build,
# the Python FFI bench that drives the phone core through its generated bindings, the API
# fuzzing of the server binary against its OpenAPI document, then the check that the checked-in
# Kotlin and Swift bindings match the code.
#
# On a machine with only the Rust toolchain, parts that need other tools (python3 with pytest,
# python3 with venv) are skipped with a message. Under CI (CI=true) a missing tool is a failure: CI installs them.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=tests/common.sh
. tests/common.sh

skip() {
  if [ "${CI:-}" = "true" ]; then
    echo "FAILED: $1 (CI must have it)" >&2
    exit 1
  fi
  echo "skipped: $1"
}

step "cargo test --workspace"
cargo test --workspace

# The photo pipeline's pure-Rust path (no C compiler needed), kept for platforms where
# libjpeg-turbo cannot be built: the same tests, without the default libjpeg-turbo backend.
step "photo pipeline, pure-Rust build"
cargo test -p hazardsnap-photo --no-default-features

# A Python-driven suite: runs SCRIPT when python3 passes CHECK, else skips it (fails under CI).
python_suite() { # TITLE CHECK SCRIPT MISSING
  [ -x "$3" ] || return 0
  step "$1"
  if command -v python3 >/dev/null && python3 -c "$2" 2>/dev/null; then
    "$3"
  else
    skip "$4"
  fi
}

python_suite "Python FFI tests" 'import pytest' tests/python/run.sh \
  "Python FFI tests need python3 with pytest (pip install pytest)"
python_suite "API fuzzing against the OpenAPI document" 'import venv, ensurepip' tests/api/run.sh \
  "API fuzzing needs python3 with venv (it installs schemathesis from PyPI)"

if [ -x scripts/check-bindings.sh ]; then
  step "generated Kotlin/Swift bindings in sync"
  scripts/check-bindings.sh
fi
step "all tests passed"
