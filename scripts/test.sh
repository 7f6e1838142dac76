#!/usr/bin/env bash
# The whole test suite: formatting, lints, every test on SQLite and on a real
# PostgreSQL (started, or installed, when needed), and the browser tests of the
# staff screens in Debian's headless Chromium. A missing PostgreSQL fails the
# run; it never skips.
set -euo pipefail
cd "$(dirname "$0")/.."

eval "$(bash scripts/ensure-postgres.sh)"
# The fonts documents are printed in, and poppler to read the PDFs back.
bash scripts/ensure-print.sh
export KOKUHO_REQUIRE_PG=1

cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
cargo nextest run --workspace --no-fail-fast
# The staff screens in a real browser (last, so its summary closes the run).
bash scripts/e2e.sh
