#!/usr/bin/env bash
# Browser tests of the staff screens: Debian's Chromium driven by
# playwright-core (from the npm registry; it downloads no browser).
set -euo pipefail
cd "$(dirname "$0")/.."
# Chromium, and a Japanese font so that screenshots show the text.
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -q "BIZ UD" || need+=(fonts-morisawa-bizud-gothic)
if [ ${#need[@]} -gt 0 ]; then
  echo "e2e: installing ${need[*]} from Debian's packages" >&2
  if [ "$(id -u)" = 0 ]; then sudo=(); else sudo=(sudo -n); fi
  "${sudo[@]}" apt-get update -qq >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi
cargo build -p kokuho
(cd e2e && npm ci --no-audit --no-fund >/dev/null)
cd e2e && KOKUHO_BIN="$PWD/../target/debug/kokuho" node --test
