#!/usr/bin/env bash
# The whole test suite: formatting, lints, and every test on SQLite and on a
# real PostgreSQL (started, or installed, when needed). A missing PostgreSQL
# fails the run; it never skips.
set -euo pipefail
cd "$(dirname "$0")/.."

eval "$(bash scripts/ensure-postgres.sh)"
export KOKUHO_REQUIRE_PG=1

cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
cargo nextest run --workspace --no-fail-fast
