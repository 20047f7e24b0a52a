#!/usr/bin/env bash
# The officers' pages in a real browser: the server binary built by the test run (debug, shared
# with `cargo test --workspace`), Debian's Chromium (/usr/bin/chromium, never a downloaded
# browser) driven by playwright-core from npm, axe-core for accessibility. Screenshots of every
# main page land in tests/web/artifacts/.
#
# Needs: node and npm, chromium and fonts-noto-cjk (`apt-get install chromium fonts-noto-cjk
# npm`). Usage: tests/web/run.sh [node --test options, e.g. --test-name-pattern=ledger]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tests/common.sh
. "$here/../common.sh"
cd "$root"

chromium="${CHROMIUM:-/usr/bin/chromium}"
[ -x "$chromium" ] || { echo "missing $chromium: apt-get install chromium fonts-noto-cjk" >&2; exit 1; }
fc-list :lang=zh 2>/dev/null | grep -q . || { echo "no Chinese font: apt-get install fonts-noto-cjk" >&2; exit 1; }
if [ ! -d "$here/node_modules/playwright-core" ] || [ ! -d "$here/node_modules/axe-core" ]; then
  (cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi

step "web: build the server (test build)"
build_like_the_tests

step "web: the pages in Chromium"
rm -rf "$here/artifacts"
cd "$here"
CHROMIUM="$chromium" node --test --test-concurrency=1 "$@" pages.test.mjs campaign.test.mjs accountability.test.mjs
