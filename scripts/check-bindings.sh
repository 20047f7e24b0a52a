#!/usr/bin/env bash
# Proves the checked-in Kotlin (android/) and Swift (ios/) bindings match the Rust code of
# hazardsnap-core: regenerates them from the built library and fails on any difference.
set -euo pipefail
cd "$(dirname "$0")/.."
crates/uniffi-bindgen/generate-mobile-bindings.sh
if ! git diff --exit-code --stat -- android ios || [ -n "$(git status --porcelain -- android ios)" ]; then
  echo "FAILED: the checked-in mobile bindings are stale: run crates/uniffi-bindgen/generate-mobile-bindings.sh and commit" >&2
  exit 1
fi
echo "mobile bindings in sync"
