#!/usr/bin/env bash
# Sourced by the test and CI scripts (.ci/run, scripts/test.sh, tests/python/run.sh,
# tests/api/run.sh, tests/kotlin/run.sh, tests/swift-abi/run.sh, tests/arm/run.sh,
# tests/web/run.sh, the mobile bindings script): where the workspace and its build are, how a
# step is announced, the one build command that reuses what `cargo test --workspace` built, and
# a script's own virtualenv.

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"

# Announces a step with the seconds since the script started and the disk left, so a slow or
# full machine shows where.
step() {
  echo "== $1   [${SECONDS} s, $(df -Pk "$root" | awk 'NR==2 { printf "%.1f GiB", $4 / 1048576 }') free]"
}

# Builds with the package selection (whole workspace) and dev units (tests) of
# `cargo test --workspace`, so every dependency's features unify the same way and nothing built
# by the test run is rebuilt (`-p hazardsnap-core` alone would resolve features afresh and
# compile a second tree).
build_like_the_tests() {
  (cd "$root" && cargo build --quiet --workspace --lib --bins --tests)
}

# Makes the virtualenv DIR/.venv once, installs DIR/requirements.txt into it, and sets $venv.
use_venv() {
  venv="$1/.venv"
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
  fi
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$1/requirements.txt"
}
