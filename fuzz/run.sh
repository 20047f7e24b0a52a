#!/usr/bin/env bash
# Coverage-guided fuzzing of hazardsnap (not in CI: it runs until stopped or for the time given).
# Installs a nightly toolchain and cargo-fuzz when missing, then runs each target for SECONDS
# (default 60) starting from the seed corpus in fuzz/corpus/<target>; new interesting inputs are
# kept in fuzz/corpus-found/<target> (not committed), crashes in fuzz/artifacts/<target>.
# A crash found becomes a seed in fuzz/corpus/<target> with its fix, so that the stable test
# (tests/e2e/fuzz_corpus.rs; for `upload`, server/tests/upload_hardening.rs) keeps it fixed.
#
# Usage: fuzz/run.sh [SECONDS] [TARGET...]   (targets: photo report_json roster server_answers upload)
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-60}"; shift || true
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(photo report_json roster server_answers upload)
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo +nightly install cargo-fuzz --locked
for t in "${targets[@]}"; do
  mkdir -p "corpus-found/$t" "artifacts/$t"
  echo "== fuzz $t for ${secs}s"
  cargo +nightly fuzz run "$t" "corpus-found/$t" "corpus/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=2048 -max_len=4194304 \
    -artifact_prefix="artifacts/$t/" 2>&1 | tail -5
done
