#!/usr/bin/env bash
# Benchmark (not a test): the yearly income import and the burden categories
# judged for a city of about 1,000,000 insured (4.6 million residents at the
# demo town's NHI share), on SQLite, with the release binary.
# Usage: scripts/bench-burden.sh [RESIDENTS]   (default 4,600,000)
# KOKUHO_BENCH_DIR keeps the city between runs (generated when absent).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-4600000}
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
echo "== insured on 2026-11-01: $(KOKUHO_OPERATOR=demo-supervisor "$bin" eligibility as-of "${keys[@]}" --date 2026-11-01 --reason benchmark 2>/dev/null | tail -n +2 | wc -l)"
echo "== income sample for 2025"
/usr/bin/time -f "$fmt" env KOKUHO_OPERATOR=demo-levy "$bin" income-sample "${keys[@]}" --year 2025 --out "$work/income-2025.csv"
echo "== income import (records every line, then judges 2026-08..2026-11)"
/usr/bin/time -f "$fmt" env KOKUHO_OPERATOR=demo-levy "$bin" income-import "${keys[@]}" "$work/income-2025.csv"
echo "== judge 2026-08..2026-11 again (nothing changes)"
/usr/bin/time -f "$fmt" env KOKUHO_OPERATOR=demo-levy "$bin" burden recompute "${keys[@]}" --from 2026-08 --to 2026-11
