#!/usr/bin/env bash
# A stand-in C compiler for `cargo check` of targets whose SDK this machine lacks (Android NDK,
# Xcode): build scripts that compile C (SQLite, libjpeg-turbo, ring) get an empty object for
# every `-o FILE`, and nothing is compiled. `cargo check` never links, so the Rust code is still
# checked against the target's real std; the C code is not checked at all (tests/arm/run.sh says
# so). Used only by `tests/arm/run.sh --check-mobile`.
out=""
prev=""
for a in "$@"; do
  case "$a" in
    --version | -v) echo "stand-in-cc 0 (no C compiler for this target here)"; exit 0 ;;
    # cc-rs asks the compiler's family by preprocessing a probe: answer "gcc" (GNU flags)...
    -E) echo '"gcc"'; exit 0 ;;
    # ... and whether it takes MSVC's flags: no.
    '-?') exit 1 ;;
  esac
  [ "$prev" = "-o" ] && out="$a"
  case "$a" in -o?*) out="${a#-o}" ;; esac
  prev="$a"
done
if [ -n "$out" ]; then
  : >"$out"
fi
exit 0
