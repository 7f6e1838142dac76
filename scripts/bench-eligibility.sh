#!/usr/bin/env bash
# Benchmark (not a test): the "insured on D" export and the daily age job over
# a city with about 1,000,000 insured (about 4.6 million residents at the demo
# town's NHI share), on SQLite, with the release binary.
# Usage: scripts/bench-eligibility.sh [RESIDENTS]   (default 4,600,000)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-4600000}
cargo build --release -p kokuho
bin=$PWD/target/release/kokuho
work=${KOKUHO_BENCH_DIR:-$(mktemp -d)}
db="sqlite://$work/city.db"
fmt='wall %e s, user %U s, sys %S s, max RSS %M KiB'

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB"
echo "== generate $n residents with three years of eligibility history"
/usr/bin/time -f "$fmt" "$bin" generate --database "$db" --keyring "$work/vault.keys" --residents "$n"
ls -l "$work"/city.db* | awk '{print $5, $9}'

echo "== as-of export for 2026-04-01 (to a file)"
/usr/bin/time -f "$fmt" env KOKUHO_OPERATOR=demo-supervisor "$bin" eligibility as-of --database "$db" --keyring "$work/vault.keys" --date 2026-04-01 --reason benchmark > "$work/asof.csv"
echo "rows: $(($(wc -l < "$work/asof.csv") - 1))"
echo "== as-of export, CP932, as known at the reference date"
/usr/bin/time -f "$fmt" env KOKUHO_OPERATOR=demo-supervisor "$bin" eligibility as-of --database "$db" --keyring "$work/vault.keys" --date 2026-04-01 --encoding cp932 --known-at 2026-04-02T00:00:00Z --reason benchmark > "$work/asof-cp932.csv"

echo "== daily age job for 2026-07-31 (losses on reaching 75 from April to July), then again (idempotent)"
/usr/bin/time -f "$fmt" env KOKUHO_OPERATOR=demo-supervisor "$bin" eligibility age-job --database "$db" --keyring "$work/vault.keys" --date 2026-07-31
/usr/bin/time -f "$fmt" env KOKUHO_OPERATOR=demo-supervisor "$bin" eligibility age-job --database "$db" --keyring "$work/vault.keys" --date 2026-07-31
