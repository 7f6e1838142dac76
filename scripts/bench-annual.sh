#!/usr/bin/env bash
# Benchmark (not a test): a year of a city's claims, August 2025 to July 2026
# — each month's file imported, checked and run (高額療養費, which also keeps
# what each member aged 70–74 bore for outpatient care) — and then the
# yearly annual outpatient run (外来年間合算) over them, on SQLite with the
# release binary, with peak memory.
# Usage: scripts/bench-annual.sh [RESIDENTS]   (default 1,000,000)
# KOKUHO_BENCH_DIR keeps the city between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
cargo build --release -p kokuho
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/kokuho
work=${KOKUHO_BENCH_DIR:-$(mktemp -d)}
mkdir -p "$work"
db="sqlite://$work/city.db"
keys=(--database "$db" --keyring "$work/vault.keys")
fmt='wall %e s, user %U s, sys %S s, max RSS %M KiB'
export KOKUHO_OPERATOR=demo-benefits

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB"
if [ ! -f "$work/city.db" ]; then
  echo "== generate $n residents with three years of eligibility history"
  /usr/bin/time -f "$fmt" "$bin" generate "${keys[@]}" --residents "$n"
fi
if [ ! -f "$work/income-2024.done" ]; then
  echo "== income 2024 (the categories of 2025-08 to 2026-07)"
  KOKUHO_OPERATOR=demo-levy "$bin" income-sample "${keys[@]}" --year 2024 --out "$work/income-2024.csv"
  KOKUHO_OPERATOR=demo-levy "$bin" income-import "${keys[@]}" "$work/income-2024.csv"
  touch "$work/income-2024.done"
fi
for m in 2025-08 2025-09 2025-10 2025-11 2025-12 2026-01 2026-02 2026-03 2026-04 2026-05 2026-06 2026-07; do
  if [ -f "$work/run-$m.done" ]; then continue; fi
  y=${m%-*}; mo=$((10#${m#*-}))
  if [ "$mo" = 12 ]; then p="$((y + 1))-01"; else p=$(printf '%s-%02d' "$y" $((mo + 1))); fi
  echo "== $m: sample, import, check (processing month $p), high-cost run"
  "$bin" claims sample "${keys[@]}" --month "$m" --out "$work/claims-$m.uke"
  "$bin" claims import "${keys[@]}" "$work/claims-$m.uke" >/dev/null
  "$bin" claims check "${keys[@]}" --month "$p" >/dev/null
  /usr/bin/time -f "$fmt" "$bin" high-cost run "${keys[@]}" --month "$m"
  rm -f "$work/claims-$m.uke"
  touch "$work/run-$m.done"
done
echo "== the annual outpatient run of the year 2025-08 to 2026-07"
/usr/bin/time -f "$fmt" "$bin" high-cost annual "${keys[@]}" --year 2025 --csv "$work/annual-2025.csv"
