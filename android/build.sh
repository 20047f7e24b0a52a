#!/usr/bin/env bash
# Builds the Android app where the Android SDK and NDK exist: the Rust core for the three ABIs
# with cargo-ndk (arm64-v8a, armeabi-v7a, x86_64) into hazardsnap-core/src/main/jniLibs, a check
# that the committed Kotlin bindings are those of this Rust code, then the Gradle build (the
# library, the plain-Kotlin logic with its unit tests, the app's debug and release APKs).
#
# Needs: ANDROID_HOME (SDK with platform 35 and build-tools), ANDROID_NDK_HOME (NDK r26 or later),
# JDK 17, the Rust toolchain, and Gradle 8.9+ once to make the wrapper (`gradle wrapper`) if
# gradlew is absent. Usage: android/build.sh [gradle tasks...] (default: test assembleDebug
# assembleRelease).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
cd "$root"

: "${ANDROID_HOME:?set ANDROID_HOME to the Android SDK}"
: "${ANDROID_NDK_HOME:?set ANDROID_NDK_HOME to the Android NDK (r26 or later)}"
# The lowest Android the app supports (its minSdk); the NDK's libc of that level is linked.
api=26

if ! command -v cargo-ndk >/dev/null; then
  cargo install --locked cargo-ndk
fi
rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android

# 16 KB pages (Android 15 devices may use them): align the library's segments for both sizes.
export RUSTFLAGS="${RUSTFLAGS:-} -C link-arg=-Wl,-z,max-page-size=16384"
jni="$here/hazardsnap-core/src/main/jniLibs"
rm -rf "$jni"
cargo ndk --platform "$api" -t arm64-v8a -t armeabi-v7a -t x86_64 -o "$jni" \
  build --locked --profile release-mobile -p hazardsnap-core
ls -l "$jni"/*/libhazardsnap_core.so

# The committed bindings must be those of this Rust code: regenerate them from a host build
# (the mobile profile strips the symbols the generator reads) and compare.
cargo build --locked --quiet -p hazardsnap-core -p uniffi-bindgen
gen="$(mktemp -d)"
trap 'rm -rf "$gen"' EXIT
host_lib="$target/debug/libhazardsnap_core.so"
[ "$(uname -s)" = Darwin ] && host_lib="$target/debug/libhazardsnap_core.dylib"
"$target/debug/uniffi-bindgen" generate --library "$host_lib" --language kotlin --out-dir "$gen" >/dev/null
if ! diff -q "$gen/org/hazardsnap/core/hazardsnap_core.kt" \
  "$here/hazardsnap-core/src/main/java/org/hazardsnap/core/hazardsnap_core.kt" >/dev/null; then
  echo "the committed Kotlin bindings are stale: run crates/uniffi-bindgen/generate-mobile-bindings.sh" >&2
  exit 1
fi

cd "$here"
if [ ! -x ./gradlew ]; then
  gradle wrapper --gradle-version 8.9
fi
if [ "$#" -eq 0 ]; then
  set -- :hazardsnap-logic:test :app:assembleDebug :app:assembleRelease
fi
./gradlew "$@"
ls -l app/build/outputs/apk/*/*.apk 2>/dev/null || true
