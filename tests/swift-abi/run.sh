#!/usr/bin/env bash
# The Swift bindings checked without Swift: a C program compiled against the committed header
# (ios/.../hazardsnap_coreFFI.h) and linked with the core's static library checks the contract
# version and every API checksum that the committed HazardsnapCore.swift expects, that every
# function the header declares exists, and makes one real call (abi_check.c). Then the SQLite
# question of iOS: linked as a plain archive the core's bundled SQLite takes over the app's
# sqlite3_* calls; pre-linked into one object with only the FFI symbols global (what
# ios/build-xcframework.sh does with Apple's ld) the app keeps the system's (sqlite_clash.c).
#
# By default it uses the host build of the test profile. tests/arm/run.sh calls it for aarch64
# with ABI_CC, ABI_LIB, ABI_RUN (the qemu command), ABI_LD, ABI_OBJCOPY and ABI_SQLITE=0.
#
# Usage: tests/swift-abi/run.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tests/common.sh
. "$here/../common.sh"
cd "$root"

cc="${ABI_CC:-cc}"
ld_="${ABI_LD:-ld}"
objcopy_="${ABI_OBJCOPY:-objcopy}"
run="${ABI_RUN:-}"
if [ -z "${ABI_LIB:-}" ]; then
  build_like_the_tests
fi
lib="${ABI_LIB:-$target/debug/libhazardsnap_core.a}"
include="$root/ios/HazardsnapCore/Sources/hazardsnap_coreFFI/include"
swift="$root/ios/HazardsnapCore/Sources/HazardsnapCore/HazardsnapCore.swift"

w="$(mktemp -d)"
trap 'rm -rf "$w"' EXIT

# What the committed Swift file expects.
contract="$(grep -oE 'let bindings_contract_version = [0-9]+' "$swift" | grep -oE '[0-9]+$')"
{
  echo "#define EXPECTED_CONTRACT ${contract}u"
  echo "static const struct checksum checksums[] = {"
  grep -oE '(uniffi_hazardsnap_core_checksum_[a-z0-9_]+)\(\) != [0-9]+' "$swift" \
    | sed -E 's/^([a-z0-9_]+)\(\) != ([0-9]+)$/    { "\1", \1, \2 },/'
  echo "};"
} >"$w/expected.inc"
n_checksums="$(grep -c '{ "' "$w/expected.inc" || true)"
n_declared_checksums="$(grep -cE '^uint16_t uniffi_hazardsnap_core_checksum_' "$include/hazardsnap_coreFFI.h" || true)"
if [ "$n_checksums" -eq 0 ] || [ "$n_checksums" -ne "$n_declared_checksums" ]; then
  echo "FAILED: the Swift bindings check $n_checksums checksums, the header declares $n_declared_checksums (omit_checksums must be false for Swift)" >&2
  exit 1
fi
# Every function of the header: the FFI symbols, which must stay global.
grep -oE '^[A-Za-z_][A-Za-z0-9_ *]* \*?((uniffi|ffi)_hazardsnap_core_[a-z0-9_]+)\(' "$include/hazardsnap_coreFFI.h" \
  | grep -oE '(uniffi|ffi)_hazardsnap_core_[a-z0-9_]+' | sort -u >"$w/ffi-symbols.txt"
sed 's/.*/    (void *)\&&,/' "$w/ffi-symbols.txt" >"$w/symbols.inc"

cflags=(-std=c11 -O1 -Wall -Werror -D_Nullable= -D_Nonnull= -I "$include" -I "$w")
libs=(-lpthread -ldl -lm)

step "swift-abi: checksums and symbols of the Swift bindings against $(basename "$lib") ($("$cc" -dumpmachine))"
"$cc" "${cflags[@]}" "$here/abi_check.c" "$lib" "${libs[@]}" -o "$w/abi_check"
$run "$w/abi_check"

if [ "${ABI_SQLITE:-1}" = "1" ]; then
  step "swift-abi: the bundled SQLite hidden from the app"
  system_version="$(printf '#include <sqlite3.h>\nSQLITE_VERSION\n' | "$cc" -E -P - | tail -1 | tr -d '"')"
  sqlite_sys="$(cargo pkgid -p libsqlite3-sys | sed -E 's/.*@//')"
  bundled_h="$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/libsqlite3-sys-"$sqlite_sys"/sqlite3/sqlite3.h | head -1)"
  bundled_version="$(grep -E '^#define SQLITE_VERSION ' "$bundled_h" | awk '{print $3}' | tr -d '"')"
  echo "system SQLite $system_version, bundled SQLite $bundled_version"
  if [ "$system_version" = "$bundled_version" ]; then
    echo "FAILED: cannot tell the two SQLite copies apart (same version)" >&2
    exit 1
  fi
  # The plain archive: the bundled copy wins over -lsqlite3 (the clash the XCFramework avoids).
  "$cc" "${cflags[@]}" "$here/sqlite_clash.c" "$lib" -lsqlite3 "${libs[@]}" -o "$w/plain"
  $run "$w/plain" "$bundled_version" "plain archive"
  # Pre-linked: one object, only the FFI global; the program gets the system's SQLite and the
  # core still works on its own copy.
  "$ld_" -r --whole-archive "$lib" -o "$w/all.o"
  "$objcopy_" --keep-global-symbols="$w/ffi-symbols.txt" "$w/all.o" "$w/core-prelinked.o"
  # readelf, not nm: GNU nm 2.40 stops on this object ("Invalid encoding") and lists nothing.
  readelf_="${ABI_READELF:-readelf}"
  globals="$("$readelf_" -sW "$w/core-prelinked.o" | awk '($5 == "GLOBAL" || $5 == "WEAK") && $7 != "UND" {print $8}')"
  if [ "$(echo "$globals" | grep -cxF -f "$w/ffi-symbols.txt")" -ne "$(wc -l <"$w/ffi-symbols.txt")" ]; then
    echo "FAILED: the pre-linked core lacks FFI symbols" >&2
    exit 1
  fi
  extra="$(echo "$globals" | grep -vxF -f "$w/ffi-symbols.txt" || true)"
  if [ -n "$extra" ]; then
    echo "FAILED: the pre-linked core exports more than its FFI:" >&2
    echo "$extra" | head -20 >&2
    exit 1
  fi
  "$cc" "${cflags[@]}" "$here/sqlite_clash.c" "$w/core-prelinked.o" -lsqlite3 "${libs[@]}" -o "$w/prelinked"
  $run "$w/prelinked" "$system_version" "pre-linked core"
fi
