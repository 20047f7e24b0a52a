#!/usr/bin/env bash
# The phone's code on ARM, as near to a phone as this machine gets: cross-builds for
# aarch64-unknown-linux-gnu with Debian's cross compiler (gcc-aarch64-linux-gnu) and runs the
# tests under qemu-user (qemu-aarch64, the glibc of libc6-dev-arm64-cross).
#
#   tests/arm/run.sh          the photo pipeline's tests, libjpeg-turbo's NEON path included
#                             (checked: WITH_SIMD in its jconfig.h, NEON symbols in the test
#                             binary); what CI runs
#   tests/arm/run.sh --core   also the phone core's tests (SQLite, rusqlite, ring, reqwest,
#                             tokio, uniffi on aarch64) and the Swift ABI check (checksums the
#                             Swift bindings expect) against the aarch64 static library
#   tests/arm/run.sh --check-mobile
#                             `cargo check -p hazardsnap-core` for aarch64-linux-android,
#                             armv7-linux-androideabi, x86_64-linux-android and
#                             aarch64-apple-ios: the Rust code (ours and every dependency's
#                             target-specific code) type-checked against the real std of those
#                             targets. There is no NDK or Xcode here, so the C parts (SQLite,
#                             libjpeg-turbo, ring's C) are NOT compiled for them: a stand-in C
#                             compiler (stand-in-cc.sh) writes empty objects, which `cargo check`
#                             never links.
#
# Needs: rustup target aarch64-unknown-linux-gnu (and the two mobile targets for
# --check-mobile), apt packages gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tests/common.sh
. "$here/../common.sh"
cd "$root"

core=0
check_mobile=0
for a in "$@"; do
  case "$a" in
    --core) core=1 ;;
    --check-mobile) check_mobile=1 ;;
    *) echo "usage: tests/arm/run.sh [--core] [--check-mobile]" >&2; exit 2 ;;
  esac
done

arm=aarch64-unknown-linux-gnu
sysroot=/usr/aarch64-linux-gnu
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L $sysroot"
export CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc
export AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar

photo_tests() {
  step "arm: photo pipeline for $arm (libjpeg-turbo with NEON), tests under qemu-aarch64"
  cargo test --target "$arm" -p hazardsnap-photo
  jconfig="$(ls -t "$target/$arm"/debug/build/mozjpeg-sys-*/out/include/jconfig.h | head -1)"
  if ! grep -q '#define WITH_SIMD 1' "$jconfig"; then
    echo "FAILED: libjpeg-turbo was built for $arm without SIMD ($jconfig)" >&2
    exit 1
  fi
  test_bin="$(ls -t "$target/$arm"/debug/deps/pipeline-* | grep -v '\.d$' | head -1)"
  neon="$(aarch64-linux-gnu-nm "$test_bin" | grep -c '_neon$' || true)"
  if [ "$neon" -lt 10 ]; then
    echo "FAILED: the aarch64 photo tests hold $neon NEON functions of libjpeg-turbo" >&2
    exit 1
  fi
  echo "libjpeg-turbo for $arm: WITH_SIMD, $neon NEON functions linked into the tests"
}
# The photo tests run unless only the mobile checks were asked for.
if [ "$core" = 1 ] || [ "$check_mobile" = 0 ]; then
  photo_tests
fi

if [ "$core" = 1 ]; then
  step "arm: phone core for $arm, tests under qemu-aarch64"
  cargo test --target "$arm" -p hazardsnap-core
  # `cargo test` leaves the library's static archive in deps/ (it uplifts only what it was asked for).
  step "arm: the Swift bindings' checksums against the aarch64 library"
  ABI_CC=aarch64-linux-gnu-gcc ABI_LD=aarch64-linux-gnu-ld ABI_OBJCOPY=aarch64-linux-gnu-objcopy \
    ABI_RUN="qemu-aarch64 -L $sysroot" ABI_SQLITE=0 \
    ABI_READELF=aarch64-linux-gnu-readelf \
    ABI_LIB="$target/$arm/debug/deps/libhazardsnap_core.a" "$root/tests/swift-abi/run.sh"
fi

if [ "$check_mobile" = 1 ]; then
  for t in aarch64-linux-android armv7-linux-androideabi x86_64-linux-android aarch64-apple-ios; do
    step "arm: cargo check -p hazardsnap-core --target $t (C stand-in compiler)"
    v="$(echo "$t" | tr '-' '_')"
    # cc-rs asks xcrun for the iOS SDK unless SDKROOT names one: an empty folder will do here.
    sdk="$(mktemp -d)"
    env "CC_$v=$here/stand-in-cc.sh" "CXX_$v=$here/stand-in-cc.sh" "AR_$v=ar" \
      SDKROOT="$sdk" IPHONEOS_DEPLOYMENT_TARGET=15.0 \
      cargo check --target "$t" -p hazardsnap-core --lib
    rmdir "$sdk"
  done
fi
