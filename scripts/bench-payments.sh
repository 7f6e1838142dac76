#!/usr/bin/env bash
# Benchmark (not a test): a payment run of N transfers (default 100,000) —
# made (every decided, unpaid benefit gathered with its account), approved,
# its 全銀 総合振込 file written, the payment list as CSV, and marked sent —
# on SQLite and on PostgreSQL, with the release binary, with peak memory.
# The decided benefits and their accounts are loaded straight into the
# tables (as a data load; receiving 100,000 applications one by one at the
# counter is not what is measured here).
# Usage: scripts/bench-payments.sh [TRANSFERS]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
cargo build --release -p kokuho
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/kokuho
work=$(mktemp -d)
fmt='wall %e s, user %U s, sys %S s, max RSS %M KiB'
today=$(TZ=Asia/Tokyo date +%F)

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB"

# Decided benefits straight into the tables, each payee with a 公金受取口座.
load_sql() {
  cat <<SQL
INSERT INTO benefit_application (insurer_number, application_id, kind, subtype, addressee_id,
  household_number, event_on, event_key, facts, received_on, applicant, documents, payee_id,
  application_account, amount, basis, rule, provisional, received_us, received_by, decision,
  decision_reason, decided_on, decided_us, decided_by)
SELECT '$1', i, 'transport_benefit', NULL, '9' || $P9, NULL, '$today',
  'bench:' || i, '{}', '$today', '本人', '', '9' || $P9, $3,
  1000 + i % 90000, '', 'bench', $3, 0, 'demo-benefits', 'pay', NULL, '$today', 0, 'demo-supervisor'
FROM $2;
INSERT INTO bank_account (insurer_number, account_id, addressee_id, source, bank_code, branch_code,
  account_type, number, holder, holder_transfer, confirmed_on, recorded_us, recorded_by)
SELECT '$1', i, '9' || $P9, 'public_funds', '0166',
  $P3, '1', $P7, 'ﾔﾏﾀﾞ ﾀﾛｳ',
  'ﾔﾏﾀﾞ ﾀﾛｳ', '$today', 0, 'demo-benefits'
FROM $2;
SQL
}

bench() {
  local db=$1
  local keys=(--database "$db" --keyring "$work/vault.keys")
  run() { echo "== $1"; shift; /usr/bin/time -f "$fmt" "$@"; }
  run "payments run create (gather $n transfers)" env KOKUHO_OPERATOR=demo-benefits "$bin" payments run create "${keys[@]}" --date "$today"
  run "payments run approve" env KOKUHO_OPERATOR=demo-supervisor "$bin" payments run approve "${keys[@]}" 1
  run "payments run file (全銀 総合振込)" env KOKUHO_OPERATOR=demo-supervisor "$bin" payments run file "${keys[@]}" 1 --out "$work/run-1.txt"
  run "payments run show --csv (payment list)" env KOKUHO_OPERATOR=demo-benefits "$bin" payments run show "${keys[@]}" 1 --csv "$work/run-1.csv"
  run "payments run sent" env KOKUHO_OPERATOR=demo-benefits "$bin" payments run sent "${keys[@]}" 1
  run "payments run create again (nothing left to pay)" env KOKUHO_OPERATOR=demo-benefits "$bin" payments run create "${keys[@]}" --date "$today" || true
}

contract() {
  KOKUHO_OPERATOR=demo-supervisor "$bin" payments contract set --database "$1" --keyring "$work/vault.keys" \
    --requester-code 3190120001 --requester-name "ﾔｽﾞﾁﾖｳ" --bank 0166 --bank-name "ﾄﾂﾄﾘｷﾞﾝｺｳ" \
    --branch 201 --branch-name "ｺｵｹﾞ" --type 2 --number 1234567 >/dev/null
}

echo "==== SQLite"
db="sqlite://$work/town.db"
"$bin" generate --database "$db" --keyring "$work/vault.keys" --residents 2000 --no-history >/dev/null
contract "$db"
ins=$(sqlite3 "$work/town.db" "SELECT insurer_number FROM insurer")
echo "== load $n decided benefits with their accounts"
P9="printf('%09d', i)" P7="printf('%07d', i)" P3="printf('%03d', 100 + i % 300)"
{ echo "BEGIN;"; load_sql "$ins" "(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $n) SELECT i FROM s)" 0; echo "COMMIT;"; } \
  | sqlite3 "$work/town.db"
bench "$db"
ls -l "$work/run-1.txt" | awk '{print "transfer file:", $5, "bytes"}'

echo "==== PostgreSQL"
eval "$(KOKUHO_PG_DB=kokuho_bench bash scripts/ensure-postgres.sh)"
"$bin" generate --database "$KOKUHO_PG_URL" --keyring "$work/vault.keys" --residents 2000 --no-history >/dev/null
contract "$KOKUHO_PG_URL"
echo "== load $n decided benefits with their accounts"
P9="lpad(i::text, 9, '0')" P7="lpad(i::text, 7, '0')" P3="lpad((100 + i % 300)::text, 3, '0')"
load_sql "$ins" "generate_series(1, $n) AS s(i)" false | psql -q "$KOKUHO_PG_URL"
bench "$KOKUHO_PG_URL"
rm -rf "$work"
