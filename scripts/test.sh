#!/usr/bin/env bash
# Runs every test of hazardsnap: the Rust workspace (unit, integration and end-to-end tests
# against real SQLite files and real servers on loopback), the photo pipeline's pure-Rust build,
# the Python FFI bench that drives the phone core through its generated bindings, the API
# fuzzing of the server binary against its OpenAPI document, the Android app's Kotlin (logic,
# adapter, JVM copy of the bindings) on the JVM with the real core and server, the Swift
# bindings' ABI checked from C, the photo pipeline cross-built for aarch64 and tested under qemu,
# the officers' pages in a real Chromium, then the check that the checked-in Kotlin and Swift bindings match the code.
# With Debian's postgresql installed, a throwaway PostgreSQL cluster runs for the length of the
# script: the repository conformance suite and the end-to-end suites run on it too, and the
# chaos soak runs two replicas on it; with python3's moto, the S3 tests also run against moto.
#
# On a machine with only the Rust toolchain, parts that need other tools (python3 with pytest,
# python3 with venv, a JDK with npm, JNA and JUnit, the aarch64 cross compiler and qemu,
# node with Chromium and a Chinese font) are
# skipped with a message. Under CI (CI=true) a missing tool is a failure: CI installs them.
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

# PostgreSQL: a throwaway cluster (scripts/pg-cluster.sh: initdb in a temp folder as the
# `postgres` user, a free port, its own socket folder), removed on exit. With it the repository
# conformance suite runs on PostgreSQL too, and the end-to-end suites run a second time on it.
pg_dir=""
cleanup() {
  if [ -n "$pg_dir" ]; then scripts/pg-cluster.sh stop "$pg_dir"; fi
}
trap cleanup EXIT
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && command -v python3 >/dev/null; then
  step "starting a throwaway PostgreSQL cluster"
  pg_dir=$(mktemp -d /tmp/hazardsnap-pg.XXXXXX)
  HAZARDSNAP_TEST_PG=$(scripts/pg-cluster.sh start "$pg_dir" --fast)
  export HAZARDSNAP_TEST_PG HAZARDSNAP_REQUIRE_PG=1
  echo "PostgreSQL test server: $HAZARDSNAP_TEST_PG"
else
  skip "the PostgreSQL suites need Debian's postgresql package (apt-get install postgresql)"
fi

# S3: the photo store's tests run against an in-process S3 server always, and against moto's
# server mode (an independent implementation, from PyPI) when python3 has it.
if command -v python3 >/dev/null && python3 -c 'import moto.server' 2>/dev/null; then
  export HAZARDSNAP_TEST_MOTO="python3 -m moto.server" HAZARDSNAP_REQUIRE_MOTO=1
else
  skip "the S3 tests against moto need python3 with moto (pip install 'moto[server]')"
fi

step "cargo test --workspace"
cargo test --workspace

if [ -n "$pg_dir" ]; then
  # The server's end-to-end suites (sync, filing and dedup, the ledger, the workflow and its
  # properties, accountability, campaign records, jurisdiction) again, each server on a fresh
  # PostgreSQL database instead of the embedded file.
  step "end-to-end suites on PostgreSQL"
  # (--workspace with --test: the build of `cargo test --workspace` above, reused as it is;
  # `-p` alone would resolve features afresh and compile a second tree.)
  HAZARDSNAP_TEST_BACKEND=postgres cargo test --workspace \
    --test sync --test dedup --test officer_loop --test officer_workflow_prop \
    --test officer_numbers --test officer_tenancy --test accountability \
    --test campaign_records --test rules_every_door --test officer_session
  HAZARDSNAP_TEST_BACKEND=postgres cargo test --workspace --test privacy_sweep
  # Two replicas of the server on one PostgreSQL database behind a round-robin proxy, 20
  # phones sending overlapping duplicates through faults, replicas killed at random: every
  # report once, every change reaches its phone, the ledger equals a one-server replay's.
  step "chaos soak: two replicas on PostgreSQL, 20 phones"
  HAZARDSNAP_TEST_BACKEND=postgres HAZARDSNAP_SOAK_REPLICAS=2 HAZARDSNAP_SOAK_PHONES=20 \
    HAZARDSNAP_SOAK_REPORTS=15 HAZARDSNAP_SOAK_SECONDS=60 \
    cargo test --workspace --test chaos_soak
fi

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

# A suite that needs tools beyond Rust: runs SCRIPT when CHECK (a shell command) succeeds, else
# skips it (fails under CI).
tool_suite() { # TITLE CHECK SCRIPT MISSING
  [ -x "$3" ] || return 0
  step "$1"
  if bash -c "$2" >/dev/null 2>&1; then
    "$3"
  else
    skip "$4"
  fi
}

tool_suite "Kotlin on the JVM: the Android app's logic and bindings with the real core and server" \
  'command -v java && command -v javac && [ -f /usr/share/java/jna.jar ] && [ -f /usr/share/java/junit4.jar ] && { command -v npm || [ -x tests/kotlin/node_modules/kotlin-compiler/bin/kotlinc ]; }' \
  tests/kotlin/run.sh \
  "the Kotlin suite needs a JDK, npm, and Debian's libjna-java and junit4 (apt-get install default-jdk-headless npm libjna-java junit4)"
tool_suite "Swift ABI: the Swift bindings' checksums, symbols and the hidden SQLite, from C" \
  'command -v cc && printf "#include <sqlite3.h>\n" | cc -E - ' \
  tests/swift-abi/run.sh \
  "the Swift ABI check needs a C compiler and the SQLite headers (apt-get install libsqlite3-dev)"
tool_suite "ARM: the photo pipeline (NEON) cross-built for aarch64 and tested under qemu" \
  'command -v aarch64-linux-gnu-gcc && command -v qemu-aarch64 && rustup target list --installed | grep -qx aarch64-unknown-linux-gnu' \
  tests/arm/run.sh \
  "the ARM suite needs rustup target add aarch64-unknown-linux-gnu and apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user"

tool_suite "the officers' pages in Chromium (playwright-core, axe-core)" \
  'command -v node && command -v npm && [ -x "${CHROMIUM:-/usr/bin/chromium}" ] && fc-list :lang=zh | grep -q .' \
  tests/web/run.sh \
  "the browser suite needs node, npm, Chromium and a Chinese font (apt-get install npm chromium fonts-noto-cjk)"

if [ -x scripts/check-bindings.sh ]; then
  step "generated Kotlin/Swift bindings in sync"
  scripts/check-bindings.sh
fi
step "all tests passed"
