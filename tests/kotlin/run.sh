#!/usr/bin/env bash
# The Kotlin suite on the JVM: the Android app's plain-Kotlin logic (android/hazardsnap-logic),
# its adapter to the core (android/app/.../core/CoreBackend.kt) and a JVM copy of the generated
# Kotlin bindings, compiled with a current kotlinc (npm package `kotlin-compiler`, pinned in
# package.json) against Debian's JNA and JUnit 4, and run on the machine's JDK with the real host
# `libhazardsnap_core.so` and a real `hazardsnap-server serve --demo` on a free loopback port.
#
# The committed bindings use Android classes (the system cleaner); the JVM copy is generated
# from the same library with the core's uniffi.toml and `android = false` (uniffi-jvm.toml), and
# this script fails if the two differ anywhere but in the cleaner.
#
# Needs: java and javac (17+), npm, Debian's libjna-java and junit4 (`apt-get install
# default-jdk-headless libjna-java junit4 npm`). Usage: tests/kotlin/run.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tests/common.sh
. "$here/../common.sh"
cd "$root"

build="$here/build"
jars=/usr/share/java
for j in jna.jar junit4.jar hamcrest-core.jar; do
  [ -f "$jars/$j" ] || { echo "missing $jars/$j: apt-get install libjna-java junit4" >&2; exit 1; }
done
if [ ! -x "$here/node_modules/kotlin-compiler/bin/kotlinc" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
kc="$here/node_modules/kotlin-compiler"

step "kotlin: build the core (test profile) and generate the JVM bindings"
build_like_the_tests
lib="$target/debug/libhazardsnap_core.so"
rm -rf "$build/gen"
mkdir -p "$build/gen"
"$target/debug/uniffi-bindgen" generate --library "$lib" --language kotlin \
  --config "$here/uniffi-jvm.toml" --out-dir "$build/gen" >/dev/null
gen="$build/gen/org/hazardsnap/core/hazardsnap_core.kt"
committed="$root/android/hazardsnap-core/src/main/java/org/hazardsnap/core/hazardsnap_core.kt"

# The committed (Android) and the JVM copy must be the same once the cleaner is cut out of both
# (from `UniffiCleaner.Companion.create` to the next doc comment, and the Android imports): the
# JVM tests then exercise the very code the app ships.
without_cleaner() {
  awk '/^import android/ { next }
       /^private fun UniffiCleaner\.Companion\.create/ { skip = 1 }
       skip && /^\/\*\*$/ { skip = 0 }
       !skip' "$1"
}
if ! diff -B <(without_cleaner "$committed") <(without_cleaner "$gen"); then
  echo "FAILED: the JVM copy of the bindings differs from the committed one outside the cleaner (above)" >&2
  exit 1
fi
if grep -n '^import android' "$gen"; then
  echo "FAILED: the JVM copy of the bindings still uses Android classes" >&2
  exit 1
fi
if grep -n '^import android' "$root/android/app/src/main/kotlin/org/hazardsnap/app/core/CoreBackend.kt"; then
  echo "FAILED: CoreBackend.kt must not use Android classes (the JVM tests compile it)" >&2
  exit 1
fi

cp="$kc/lib/kotlinx-coroutines-core-jvm.jar:$jars/jna.jar:$jars/junit4.jar:$jars/hamcrest-core.jar"
sources=(
  "$root/android/hazardsnap-logic/src/main/kotlin"
  "$root/android/hazardsnap-logic/src/test/kotlin"
  "$root/android/app/src/main/kotlin/org/hazardsnap/app/core/CoreBackend.kt"
  "$build/gen"
  "$here/src"
)
# Compile only when a source or the compiler changed (kotlinc takes a minute on 2 cores).
stamp="$( (cat "$kc/build.txt"; find "${sources[@]}" -name '*.kt' -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16)"
if [ "$(cat "$build/classes.stamp" 2>/dev/null || true)" != "$stamp" ]; then
  step "kotlin: compile (kotlinc $(cat "$kc/build.txt"))"
  rm -rf "$build/classes"
  "$kc/bin/kotlinc" -nowarn -jvm-target 17 -cp "$cp" -d "$build/classes" "${sources[@]}"
  echo "$stamp" >"$build/classes.stamp"
fi

step "kotlin: start the demo server"
data="$(mktemp -d)"
"$target/debug/hazardsnap-server" serve --data "$data/server" --listen 127.0.0.1:0 --demo \
  >"$data/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$data"' EXIT
url=""
for _ in $(seq 1 300); do
  url="$(grep -o 'listening on http://[0-9.:]*' "$data/server.log" | sed 's/listening on //' || true)"
  [ -n "$url" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$data/server.log" >&2; echo "the server did not start" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "the server did not say where it listens" >&2; exit 1; }

step "kotlin: JUnit on the JVM ($(java -version 2>&1 | head -1))"
HAZARDSNAP_TEST_SERVER="$url" java -Djna.library.path="$target/debug" -Djava.io.tmpdir="$data" \
  -cp "$build/classes:$kc/lib/kotlin-stdlib.jar:$cp" org.hazardsnap.jvmtest.SupportKt \
  org.hazardsnap.logic.LogicTest org.hazardsnap.jvmtest.CoreTest org.hazardsnap.jvmtest.ServerTest
