#!/usr/bin/env bash
# Coverage-guided fuzzing of the file readers with libFuzzer (cargo-fuzz).
# Usage: scripts/fuzz.sh [SECONDS per target, default 300] [TARGET...]
# Runs on the stable toolchain without a sanitizer (`-s none`: the readers
# hold no unsafe code, so what libFuzzer looks for is a panic or a hang).
# A crash is saved under fuzz/artifacts/TARGET/ and the script fails.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-300}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(claim_file registry_feed income_file)
fi
if ! command -v cargo-fuzz >/dev/null; then
  echo "== installing cargo-fuzz from crates.io"
  cargo install cargo-fuzz --locked
fi
cd fuzz
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  cp -n seeds/"$t"/* "corpus/$t/" 2>/dev/null || true
  echo "== $t for ${secs}s"
  status=0
  cargo fuzz run -s none "$t" "corpus/$t" -- -max_total_time="$secs" -max_len=8192 -timeout=10 \
    >"fuzz-$t.log" 2>&1 || status=$?
  grep -E '^(#[0-9]+\s+DONE|Done|SUMMARY|thread|panicked|Failing input|.*artifact)' "fuzz-$t.log" || true
  if [ "$status" -ne 0 ]; then
    echo "!! $t: cargo fuzz exited with $status (log: fuzz/fuzz-$t.log)" >&2
    exit 1
  fi
  if ls "artifacts/$t"/crash-* "artifacts/$t"/timeout-* >/dev/null 2>&1; then
    echo "!! $t: failing inputs in fuzz/artifacts/$t" >&2
    exit 1
  fi
done
