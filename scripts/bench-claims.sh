#!/usr/bin/env bash
# Benchmark (not a test): a month of about 1,500,000 claims for a large city
# — the import of the federation's file, the eligibility check (資格点検), the
# high-cost run (高額療養費) —
# on SQLite with the release binary, with peak memory, and the database's
# raw bulk-insert rate for the same rows for comparison.
# Usage: scripts/bench-claims.sh [RESIDENTS]   (default 6,000,000: about
# 1.15 million insured at the demo town's NHI share, 1.3 claims each)
# KOKUHO_BENCH_DIR keeps the city between runs (generated, its 2025 income
# imported — the burden categories the check compares with — and the
# month's claim file written, when absent).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-6000000}
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
if [ ! -f "$work/claims-2026-10.uke" ]; then
  echo "== the federation's file for processing month 2026-10 (service month 2026-09)"
  /usr/bin/time -f "$fmt" env KOKUHO_OPERATOR=demo-benefits "$bin" claims sample "${keys[@]}" \
    --month 2026-09 --out "$work/claims-2026-10.uke"
fi
ls -l "$work/claims-2026-10.uke"
if [ -f "$work/claims-2026-10.imported" ]; then
  echo "== (imported by an earlier run: the import below finds it imported before)"
fi
echo "== import"
/usr/bin/time -f "$fmt" env KOKUHO_OPERATOR=demo-benefits "$bin" claims import "${keys[@]}" "$work/claims-2026-10.uke"
touch "$work/claims-2026-10.imported"
echo "== eligibility check of 2026-10, with the CSV of the listed claims"
/usr/bin/time -f "$fmt" env KOKUHO_OPERATOR=demo-benefits "$bin" claims check "${keys[@]}" \
  --month 2026-10 --csv "$work/check-2026-10.csv"
echo "== high-cost run of service month 2026-09 (every household, decisions booked)"
/usr/bin/time -f "$fmt" env KOKUHO_OPERATOR=demo-benefits "$bin" high-cost run "${keys[@]}" \
  --month 2026-09 --csv "$work/high-cost-2026-09.csv"
echo "== raw bulk insert of the same rows into a fresh database"
rm -f "$work/raw.db" "$work/raw.db-wal" "$work/raw.db-shm"
cargo bench -q -p kokuho-store --bench claims_raw_write -- --from "$db" --to "sqlite://$work/raw.db"
