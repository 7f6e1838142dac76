#!/usr/bin/env bash
# Benchmark (not a test): generate and load a synthetic city into SQLite and
# into PostgreSQL with the release binary, timed by /usr/bin/time -v.
# Usage: scripts/bench-generate.sh [RESIDENTS]   (default 1,000,000)
# PostgreSQL keeps fsync on (the system cluster's settings); the database
# kokuho_bench is dropped and re-created.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
cargo build --release -p kokuho
bin=$PWD/target/release/kokuho
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
echo "== SQLite, $n residents"
/usr/bin/time -f 'wall %e s, user %U s, sys %S s, max RSS %M KiB' \
  "$bin" generate --database "sqlite://$work/bench.db" --keyring "$work/vault.keys" --residents "$n"
ls -l "$work"/bench.db* | awk '{print $5, $9}'

echo "== PostgreSQL, $n residents"
eval "$(KOKUHO_PG_DB=kokuho_bench bash scripts/ensure-postgres.sh)"
/usr/bin/time -f 'wall %e s, user %U s, sys %S s, max RSS %M KiB' \
  "$bin" generate --database "$KOKUHO_PG_URL" --keyring "$work/vault.keys" --residents "$n"

echo "== vault key rotation over the PostgreSQL city"
/usr/bin/time -f 'wall %e s, user %U s, sys %S s, max RSS %M KiB' \
  env KOKUHO_OPERATOR=demo-admin "$bin" vault rotate-key --database "$KOKUHO_PG_URL" --keyring "$work/vault.keys"
echo "== vault key rotation over the SQLite city"
/usr/bin/time -f 'wall %e s, user %U s, sys %S s, max RSS %M KiB' \
  env KOKUHO_OPERATOR=demo-admin "$bin" vault rotate-key --database "sqlite://$work/bench.db" --keyring "$work/vault.keys"
