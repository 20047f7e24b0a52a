#!/usr/bin/env bash
# Builds ios/HazardsnapCore/hazardsnap_core.xcframework on a Mac with Xcode: the Rust core for
# the device (aarch64-apple-ios) and the simulators (aarch64-apple-ios-sim, x86_64-apple-ios,
# joined with lipo), each pre-linked into one object whose only global symbols are the FFI's,
# with the Swift bindings' C header and module map inside, by `xcodebuild -create-xcframework`.
#
# Why pre-link: the core bundles its own SQLite (rusqlite `bundled`, one version everywhere). A
# plain static library would hand its sqlite3_* symbols to the whole app: the app's own SQLite
# calls (libsqlite3, GRDB, FMDB…) would silently run on the core's copy, and a second static
# SQLite would not link at all. `ld -r -exported_symbols_list` keeps only the uniffi functions
# global and makes every other symbol (SQLite, libjpeg-turbo, ring, Rust's std) local to the
# object. tests/swift-abi/run.sh proves the same step with GNU ld and objcopy on Linux.
#
# It also checks that the committed Swift bindings are those of this Rust code (regenerated from
# a host build and compared).
#
# Usage: ios/build-xcframework.sh   (then open ios/HazardsnapApp, see ios/README.md)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
cd "$root"

[ "$(uname -s)" = Darwin ] || { echo "ios/build-xcframework.sh needs macOS with Xcode" >&2; exit 1; }
profile=release-mobile
device=aarch64-apple-ios
sims=(aarch64-apple-ios-sim x86_64-apple-ios)
export IPHONEOS_DEPLOYMENT_TARGET=15.0
rustup target add "$device" "${sims[@]}"

include="$here/HazardsnapCore/Sources/hazardsnap_coreFFI/include"
out="$target/xcframework"
rm -rf "$out"
mkdir -p "$out/headers"
cp "$include/hazardsnap_coreFFI.h" "$include/module.modulemap" "$out/headers/"

# The FFI symbols: every function the generated header declares (Mach-O names start with _).
grep -oE '(uniffi|ffi)_hazardsnap_core_[a-z0-9_]+\(' "$include/hazardsnap_coreFFI.h" \
  | tr -d '(' | sort -u | sed 's/^/_/' >"$out/exported-symbols.txt"

# One pre-linked static library for a target: ld -r pulls every member of the archive, keeps the
# listed symbols global and turns every other global into a local one.
prelink() { # TARGET SDK ARCH
  local lib="$target/$1/$profile/libhazardsnap_core.a" dir="$out/$1"
  mkdir -p "$dir"
  xcrun --sdk "$2" ld -r -arch "$3" -all_load -exported_symbols_list "$out/exported-symbols.txt" \
    "$lib" -o "$dir/hazardsnap_core.o"
  xcrun --sdk "$2" libtool -static -o "$dir/libhazardsnap_core.a" "$dir/hazardsnap_core.o"
  # Nothing but the FFI may stay global (SQLite above all).
  if xcrun nm -gU "$dir/libhazardsnap_core.a" | awk 'NF==3 {print $3}' | grep -vxF -f "$out/exported-symbols.txt" | grep .; then
    echo "the pre-linked library for $1 exports more than the FFI (above)" >&2
    exit 1
  fi
}

cargo build --locked --profile "$profile" -p hazardsnap-core --target "$device"
prelink "$device" iphoneos arm64
for t in "${sims[@]}"; do
  cargo build --locked --profile "$profile" -p hazardsnap-core --target "$t"
done
prelink aarch64-apple-ios-sim iphonesimulator arm64
prelink x86_64-apple-ios iphonesimulator x86_64
mkdir -p "$out/simulator"
lipo -create "$out/aarch64-apple-ios-sim/libhazardsnap_core.a" "$out/x86_64-apple-ios/libhazardsnap_core.a" \
  -output "$out/simulator/libhazardsnap_core.a"

xcf="$here/HazardsnapCore/hazardsnap_core.xcframework"
rm -rf "$xcf"
xcodebuild -create-xcframework \
  -library "$out/$device/libhazardsnap_core.a" -headers "$out/headers" \
  -library "$out/simulator/libhazardsnap_core.a" -headers "$out/headers" \
  -output "$xcf"

# The committed Swift bindings must be those of this Rust code.
cargo build --locked --quiet -p hazardsnap-core -p uniffi-bindgen
gen="$(mktemp -d)"
trap 'rm -rf "$gen"' EXIT
"$target/debug/uniffi-bindgen" generate --library "$target/debug/libhazardsnap_core.dylib" \
  --language swift --out-dir "$gen" >/dev/null
diff -q "$gen/HazardsnapCore.swift" "$here/HazardsnapCore/Sources/HazardsnapCore/HazardsnapCore.swift"
diff -q "$gen/hazardsnap_coreFFI.h" "$include/hazardsnap_coreFFI.h"
echo "built $xcf"
