#!/usr/bin/env bash
# Benchmark (not a test): documents per second of the 資格確認書 renewal
# batch for a synthetic town (default 16,000 residents, as the demo), on
# SQLite and on PostgreSQL, with the release binary, with peak memory: every
# insured person's PDF written and recorded, then the combined PDF in
# delivery order with its cover list.
# Usage: scripts/bench-documents.sh [RESIDENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
residents=${1:-16000}
bash scripts/ensure-print.sh
cargo build --release -p kokuho
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/kokuho
work=$(mktemp -d)
fmt='wall %e s, user %U s, sys %S s, max RSS %M KiB'
month=$(TZ=Asia/Tokyo date +%Y-%m)
export KOKUHO_OPERATOR=demo-supervisor

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB"

run() { # name database-url
  local name=$1 url=$2 keys="$work/$1.keys" out="$work/$1-out"
  "$bin" generate --database "$url" --keyring "$keys" --residents "$residents" >/dev/null
  # the month's categories, for the 70–74 rates printed
  "$bin" burden recompute --from "$month" --to "$month" --database "$url" --keyring "$keys" >/dev/null
  echo "== $name: documents batch --kind eligibility-certificate"
  /usr/bin/time -f "$fmt" "$bin" documents batch --kind eligibility-certificate --out "$out" \
    --database "$url" --keyring "$keys" 2>"$work/$name.time" >"$work/$name.out"
  tail -1 "$work/$name.time"
  local wall docs
  wall=$(awk '{print $2}' "$work/$name.time" | tail -1)
  docs=$(find "$out" -name '0*.pdf' | wc -l)
  grep -E '^batch|^finished' "$work/$name.out"
  echo "$docs documents, $(du -sk "$out" | cut -f1) KiB written (combined $(du -k "$out"/batch-*-combined.pdf | cut -f1) KiB)"
  awk -v d="$docs" -v w="$wall" 'BEGIN { printf "%.0f documents per second (wall, including the combined PDF)\n", d / w }'
}

run sqlite "sqlite://$work/town.db"
# a fresh database of its own (dropped and created by the script)
eval "$(KOKUHO_PG_DB=kokuho_bench bash scripts/ensure-postgres.sh)"
run postgres "$KOKUHO_PG_URL"
rm -rf "$work"
