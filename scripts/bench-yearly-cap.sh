#!/usr/bin/env bash
# Benchmark (not a test): the first months of the 2026-08 year of a city's
# claims — each month's file imported, checked and run (高額療養費, which
# also keeps what every person bore in each household-month for the yearly
# cap) — and then the yearly cap's statement of the year so far (年間上限)
# with its CSV, on SQLite with the release binary, with peak memory.
# Usage: scripts/bench-yearly-cap.sh [RESIDENTS]   (default 300,000)
# KOKUHO_BENCH_DIR keeps the city between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-300000}
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
if [ ! -f "$work/income-2025.done" ]; then
  echo "== income 2025 (the categories of 2026-08 to 2027-07)"
  KOKUHO_OPERATOR=demo-levy "$bin" income-sample "${keys[@]}" --year 2025 --out "$work/income-2025.csv"
  KOKUHO_OPERATOR=demo-levy "$bin" income-import "${keys[@]}" "$work/income-2025.csv"
  touch "$work/income-2025.done"
fi
for m in ${KOKUHO_BENCH_MONTHS:-2026-08 2026-09 2026-10}; do
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
echo "== the yearly cap's statement of the year 2026-08 to 2027-07 so far"
/usr/bin/time -f "$fmt" "$bin" high-cost yearly-cap "${keys[@]}" --year 2026 --top 5 --csv "$work/yearly-cap-2026.csv"
echo "== rows kept by the monthly runs"
sqlite3 "$work/city.db" "SELECT service_month, COUNT(*) FROM borne_month GROUP BY service_month" 2>/dev/null || true
