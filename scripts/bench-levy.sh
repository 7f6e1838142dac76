#!/usr/bin/env bash
# Benchmark (not a test): the annual levy assessment (本算定) of a city of
# about 500,000 NHI households (3.9 million residents at the demo town's NHI
# share), end to end on SQLite with the release binary, and the database's
# raw bulk-write rate of the same rows for comparison.
# Usage: scripts/bench-levy.sh [RESIDENTS]   (default 3,900,000)
# KOKUHO_BENCH_DIR keeps the city between runs (generated and its 2025
# income imported when absent).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-3900000}
cargo build --release -p kokuho
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/kokuho
work=${KOKUHO_BENCH_DIR:-$(mktemp -d)}
mkdir -p "$work"
db="sqlite://$work/city.db"
keys=(--database "$db" --keyring "$work/vault.keys")
fmt='wall %e s, user %U s, sys %S s, max RSS %M KiB'

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB"
if [ ! -f "$work/city.db" ]; then
  echo "== generate $n residents with three years of eligibility history"
  /usr/bin/time -f "$fmt" "$bin" generate "${keys[@]}" --residents "$n"
fi
if [ ! -f "$work/income-2025.done" ]; then
  echo "== income 2025: sample and import (judges the burden months too)"
  KOKUHO_OPERATOR=demo-levy "$bin" income-sample "${keys[@]}" --year 2025 --out "$work/income-2025.csv"
  /usr/bin/time -f "$fmt" env KOKUHO_OPERATOR=demo-levy "$bin" income-import "${keys[@]}" "$work/income-2025.csv"
  touch "$work/income-2025.done"
fi
if [ -f "$work/levy-2026.done" ]; then
  echo "== (the city's FY2026 levy was booked by an earlier run: the first figure below is a re-run)"
fi
echo "== annual assessment FY2026 made on 2026-06-15 (every household booked)"
/usr/bin/time -f "$fmt" env KOKUHO_OPERATOR=demo-levy "$bin" levy assess "${keys[@]}" --fiscal-year 2026 --on 2026-06-15
touch "$work/levy-2026.done"
echo "== the same again (nothing changes, nothing booked)"
/usr/bin/time -f "$fmt" env KOKUHO_OPERATOR=demo-levy "$bin" levy assess "${keys[@]}" --fiscal-year 2026 --on 2026-06-15
echo "== raw bulk write of the same rows into a fresh database"
rm -f "$work/raw.db" "$work/raw.db-wal" "$work/raw.db-shm"
cargo bench -q -p kokuho-store --bench levy_raw_write -- --from "$db" --to "sqlite://$work/raw.db"
