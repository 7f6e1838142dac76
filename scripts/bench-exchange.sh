#!/usr/bin/env bash
# Benchmark (not a test): the exchange extracts for a city of 1,000,000
# insured, on SQLite, with the release binary; then the intermediate-server
# stand-in answering online eligibility queries under load from wrk on
# loopback.
# The city: `kokuho generate --no-history` (residents, households, the
# vault), then scripts/bench-insure-all.sql makes every resident insured (one
# open period each, 記号・番号 and 枝番) — generating the eligibility history
# of a million insured takes far longer than the benchmark.
# Usage: scripts/bench-exchange.sh [RESIDENTS] [SYNTHETIC_INSURED]
#   (defaults 1,000,000 and 1,000,000)
# KOKUHO_BENCH_DIR keeps the city between runs (made when absent).
# Needs wrk and sqlite3 (apt-get install wrk sqlite3). For PostgreSQL, make
# the city with --no-history there and scripts/bench-insure-all.pg.sql.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
synthetic=${2:-1000000}
cargo build --release -p kokuho -p kokuho-intermediate-server
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/kokuho
server=${CARGO_TARGET_DIR:-$PWD/target}/release/kokuho-intermediate-server
work=${KOKUHO_BENCH_DIR:-$(mktemp -d)}
mkdir -p "$work"
db="sqlite://$work/city.db"
keys=(--database "$db" --keyring "$work/vault.keys")
fmt='wall %e s, user %U s, sys %S s, max RSS %M KiB'
export KOKUHO_OPERATOR=demo-supervisor

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB"
if [ ! -f "$work/city.db" ]; then
  echo "== generate $n residents (no history), then insure every one"
  /usr/bin/time -f "$fmt" "$bin" generate "${keys[@]}" --residents "$n" --no-history
  /usr/bin/time -f "$fmt" sqlite3 "$work/city.db" < scripts/bench-insure-all.sql
fi
echo "== insured periods: $(sqlite3 "$work/city.db" 'SELECT COUNT(*) FROM eligibility_version')"
[ -f "$work/transfer.key" ] || "$bin" exchange init-transfer-key "$work/transfer.key"
rm -rf "$work/out-intermediate" "$work/out-federation"
echo "== full eligibility history for the intermediate server (sealed)"
/usr/bin/time -f "$fmt" "$bin" exchange export "${keys[@]}" --to intermediate --full \
  --out "$work/out-intermediate" --transfer-key "$work/transfer.key" --affair online_eligibility
ls -l "$work/out-intermediate"
echo "== full federation extract (four files)"
/usr/bin/time -f "$fmt" "$bin" exchange export "${keys[@]}" --to federation --full \
  --out "$work/out-federation" --transfer-key "$work/transfer.key"
ls -l "$work/out-federation"

echo "== intermediate-server stand-in with $synthetic synthetic insured, queried by card"
"$server" --listen 127.0.0.1:18090 --transfer-key "$work/transfer.key" --synthetic "$synthetic" &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  curl -sf "http://127.0.0.1:18090/v1/eligibility?insurer=319012&symbol=%E5%85%AB%E9%A0%AD&number=0000001&branch=01&date=2026-11-01" >/dev/null && break
  sleep 1
done
cat > "$work/card.lua" <<LUA
math.randomseed(42)
request = function()
  local n = math.random(1, $synthetic)
  return wrk.format("GET", string.format("/v1/eligibility?insurer=319012&symbol=%%E5%%85%%AB%%E9%%A0%%AD&number=%07d&branch=01&date=2026-11-01", n))
end
LUA
for c in 8 64; do
  echo "-- wrk: 2 threads, $c connections, 30 s"
  wrk -t2 -c"$c" -d30s --latency -s "$work/card.lua" http://127.0.0.1:18090/
done
echo "-- server memory: $(ps -o rss= -p $pid) KiB"
