#!/usr/bin/env bash
# Regenerates the checked-in Kotlin (android/) and Swift (ios/) bindings of hazardsnap-core from
# the built library, with the workspace's own uniffi-bindgen. CI runs it and then
# `git diff --exit-code android ios` to prove the checked-in bindings match the Rust code.
#
# Usage: crates/uniffi-bindgen/generate-mobile-bindings.sh
set -euo pipefail
# shellcheck source=tests/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../tests/common.sh"
cd "$root"
build_like_the_tests
case "$(uname -s)" in
  Darwin) lib="$target/debug/libhazardsnap_core.dylib" ;;
  *) lib="$target/debug/libhazardsnap_core.so" ;;
esac
bindgen="$target/debug/uniffi-bindgen"

kotlin_out="$root/android/hazardsnap-core/src/main/java"
rm -rf "$kotlin_out/org/hazardsnap/core"
"$bindgen" generate --library "$lib" --language kotlin --out-dir "$kotlin_out" >/dev/null

swift_out="$root/ios/HazardsnapCore/Sources"
rm -rf "$swift_out/HazardsnapCore" "$swift_out/hazardsnap_coreFFI"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$bindgen" generate --library "$lib" --language swift --out-dir "$tmp" >/dev/null
mkdir -p "$swift_out/HazardsnapCore" "$swift_out/hazardsnap_coreFFI/include"
mv "$tmp/HazardsnapCore.swift" "$swift_out/HazardsnapCore/"
mv "$tmp/hazardsnap_coreFFI.h" "$swift_out/hazardsnap_coreFFI/include/"
mv "$tmp/hazardsnap_coreFFI.modulemap" "$swift_out/hazardsnap_coreFFI/include/module.modulemap"
