#!/usr/bin/env bash
# Shared by the Python-driven test scripts (tests/python/run.sh, tests/api/run.sh), sourced:
# where the workspace and its build are, the one build command that reuses what
# `cargo test --workspace` built, and a script's own virtualenv.

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"

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
