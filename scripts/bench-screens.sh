#!/usr/bin/env bash
# Benchmark (not a test): the person page (a household of six) and the
# counter's searches, served by the real router in-process, signed in, every
# access logged. First on the demo town (16,000 residents), then on a city of
# RESIDENTS (default 1,000,000) generated with its eligibility history.
# Usage: scripts/bench-screens.sh [RESIDENTS]
#   KOKUHO_BENCH_DIR=DIR reuses DIR/city.db and DIR/vault.keys when present.
#   KOKUHO_BENCH_PG=1 also runs on PostgreSQL (database kokuho_bench, re-created).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
work=${KOKUHO_BENCH_DIR:-$(mktemp -d)}
cargo build --release -p kokuho
bin=$PWD/target/release/kokuho

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB"
echo "== the demo town"
cargo bench -p kokuho-web --bench screens

if [ ! -f "$work/city.db" ]; then
  "$bin" generate --database "sqlite://$work/city.db" --keyring "$work/vault.keys" --residents "$n"
fi
echo "== SQLite city"
cargo bench -p kokuho-web --bench screens -- --database "sqlite://$work/city.db" --keyring "$work/vault.keys"

if [ "${KOKUHO_BENCH_PG:-}" = 1 ]; then
  eval "$(KOKUHO_PG_DB=kokuho_bench bash scripts/ensure-postgres.sh)"
  "$bin" generate --database "$KOKUHO_PG_URL" --keyring "$work/pg-vault.keys" --residents "$n"
  echo "== PostgreSQL city"
  cargo bench -p kokuho-web --bench screens -- --database "$KOKUHO_PG_URL" --keyring "$work/pg-vault.keys"
fi
