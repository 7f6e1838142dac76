#!/usr/bin/env bash
# Benchmark (not a test): the monthly business report (事業月報) for a city
# of 1,000,000 insured and 1,500,000 claims in the month, with the release
# binary on SQLite; then the same aggregation as plain SQL (sqlite3) over
# the same rows, and in DuckDB over the same rows loaded into memory — the
# ratios say what kokuho's way (rows streamed through the domain's counting,
# bitemporal filters, copay rounding claim by claim) costs against a
# database doing the sums itself.
# The city: as in bench-exchange.sh (`kokuho generate --no-history`, then
# bench-insure-all.sql), then bench-claims.sql writes the month's claims.
# Usage: scripts/bench-statistics.sh [RESIDENTS]   (default 1,000,000)
# KOKUHO_BENCH_DIR keeps the city between runs (made when absent).
# Needs sqlite3 (apt-get install sqlite3) and, for the DuckDB figure,
# `pip install duckdb` (skipped when absent).
# KOKUHO_BENCH_PG_URL (an empty database of its own, e.g.
# postgres://kokuho_test:kokuho_test@127.0.0.1:5432/kokuho_bench) also makes
# the same city there (bench-insure-all.pg.sql, bench-claims.pg.sql) and
# times the report and the plain SQL on PostgreSQL.
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
export KOKUHO_OPERATOR=demo-supervisor

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB"
if [ ! -f "$work/city.db" ]; then
  echo "== generate $n residents (no history), then insure every one"
  /usr/bin/time -f "$fmt" "$bin" generate "${keys[@]}" --residents "$n" --no-history
  /usr/bin/time -f "$fmt" sqlite3 "$work/city.db" < scripts/bench-insure-all.sql
fi
if [ "$(sqlite3 "$work/city.db" "SELECT COUNT(*) FROM import_file WHERE digest = 'bench-2026-10'")" = 0 ]; then
  echo "== one month of claims"
  /usr/bin/time -f "$fmt" sqlite3 "$work/city.db" < scripts/bench-claims.sql
fi
echo "== insured periods: $(sqlite3 "$work/city.db" 'SELECT COUNT(*) FROM eligibility_version')," \
  "claims of 2026-10: $(sqlite3 "$work/city.db" "SELECT COUNT(*) FROM claim WHERE billing_month = '2026-10'")"

for i in 1 2 3; do
  echo "-- kokuho stats monthly --month 2026-10 (run $i)"
  /usr/bin/time -f "$fmt" "$bin" stats monthly "${keys[@]}" --month 2026-10 --now --format csv \
    --out "$work/monthly-2026-10.csv" --purpose benchmark
done
grep -E ',A1,.*,被保険者数,|,B,.*,計（入院・入院外・歯科・調剤）,費用額,' "$work/monthly-2026-10.csv"

# The same figures as plain SQL: the insured at the month's end as known
# now with their households and age groups, and the claims by line with the
# copay rounded claim by claim.
cat > "$work/plain.sql" <<'SQL'
SELECT COUNT(*), COUNT(DISTINCT m.household_number),
  SUM(a.birth_date > '2020-04-01'),
  SUM(a.birth_date > '1961-11-01' AND a.birth_date <= '1986-11-01'),
  SUM(a.birth_date > '1951-10-31' AND a.birth_date <= '1956-10-01')
FROM eligibility_version e
JOIN addressee a ON a.insurer_number = e.insurer_number AND a.addressee_id = e.addressee_id
LEFT JOIN membership_version m ON m.insurer_number = e.insurer_number AND m.addressee_id = e.addressee_id
  AND m.voided = 0 AND m.superseded_us IS NULL AND m.valid_from <= '2026-10-31'
  AND (m.valid_to IS NULL OR m.valid_to > '2026-10-31')
WHERE e.voided = 0 AND e.superseded_us IS NULL AND e.acquired_on <= '2026-10-31'
  AND (e.lost_on IS NULL OR e.lost_on > '2026-10-31');
SELECT CASE WHEN provider_kind = 'dental' THEN 'dental' WHEN provider_kind = 'pharmacy' OR setting = 'pharmacy' THEN 'pharmacy'
            WHEN setting = 'inpatient' THEN 'inpatient' ELSE 'outpatient' END AS kind_line,
  COUNT(*), SUM(days), SUM(points * 10), SUM((points * 10 * (100 - benefit_rate) + 500) / 1000 * 10)
FROM claim c JOIN import_file f ON f.insurer_number = c.insurer_number AND f.kind = 'claims' AND f.digest = c.file_digest
WHERE c.billing_month = '2026-10' GROUP BY kind_line ORDER BY kind_line;
SQL
for i in 1 2 3; do
  echo "-- the same aggregation as plain SQL in sqlite3 (run $i)"
  /usr/bin/time -f "$fmt" sqlite3 "$work/city.db" < "$work/plain.sql"
done

if python3 -c 'import duckdb' 2>/dev/null; then
  echo "-- the same aggregation in DuckDB, over the same rows loaded into memory"
  for t in eligibility_version addressee membership_version claim import_file; do
    [ -f "$work/$t.csv" ] || sqlite3 -header -csv "$work/city.db" "SELECT * FROM $t" > "$work/$t.csv"
  done
  python3 - "$work" <<'PY'
import sys, time, duckdb
work = sys.argv[1]
con = duckdb.connect()
t0 = time.perf_counter()
for t in ["eligibility_version", "addressee", "membership_version", "claim", "import_file"]:
    con.execute(f"CREATE TABLE {t} AS SELECT * FROM read_csv_auto('{work}/{t}.csv', all_varchar=true)")
print(f"   load: {time.perf_counter() - t0:.2f} s")
sql = open(f"{work}/plain.sql").read().replace("SUM(a.birth_date", "COUNT_IF(a.birth_date").replace(
    "points * 10", "CAST(points AS BIGINT) * 10").replace("SUM(days)", "SUM(CAST(days AS BIGINT))").replace(
    "(100 - benefit_rate)", "(100 - CAST(benefit_rate AS BIGINT))").replace(
    "+ 500) / 1000", "+ 500) // 1000").replace(
    "m.voided = 0", "m.voided = '0'").replace("e.voided = 0", "e.voided = '0'")
for run in range(3):
    t0 = time.perf_counter()
    out = [con.execute(q).fetchall() for q in sql.split(";") if q.strip()]
    print(f"   run {run + 1}: {time.perf_counter() - t0:.2f} s")
print("  ", out[0], out[1][0])
PY
fi

if [ -n "${KOKUHO_BENCH_PG_URL:-}" ]; then
  pg=(--database "$KOKUHO_BENCH_PG_URL" --keyring "$work/vault-pg.keys")
  if [ "$(psql -qtA "$KOKUHO_BENCH_PG_URL" -c "SELECT to_regclass('claim') IS NOT NULL")" != t ] ||
     [ "$(psql -qtA "$KOKUHO_BENCH_PG_URL" -c "SELECT COUNT(*) FROM import_file WHERE digest = 'bench-2026-10'")" = 0 ]; then
    echo "== PostgreSQL: generate $n residents, insure every one, one month of claims"
    /usr/bin/time -f "$fmt" "$bin" generate "${pg[@]}" --residents "$n" --no-history
    /usr/bin/time -f "$fmt" psql -q "$KOKUHO_BENCH_PG_URL" -f scripts/bench-insure-all.pg.sql
    /usr/bin/time -f "$fmt" psql -q "$KOKUHO_BENCH_PG_URL" -f scripts/bench-claims.pg.sql
    psql -q "$KOKUHO_BENCH_PG_URL" -c "ANALYZE"
  fi
  for i in 1 2 3; do
    echo "-- PostgreSQL: kokuho stats monthly --month 2026-10 (run $i)"
    /usr/bin/time -f "$fmt" "$bin" stats monthly "${pg[@]}" --month 2026-10 --now --format csv \
      --out "$work/monthly-2026-10-pg.csv" --purpose benchmark
  done
  sed -e "s/SUM(\(a.birth_date[^)]*\))/COUNT(*) FILTER (WHERE \1)/g" \
      -e "s/m.voided = 0/NOT m.voided/; s/e.voided = 0/NOT e.voided/" "$work/plain.sql" > "$work/plain.pg.sql"
  for i in 1 2 3; do
    echo "-- PostgreSQL: the same aggregation as plain SQL in psql (run $i)"
    /usr/bin/time -f "$fmt" psql -qA "$KOKUHO_BENCH_PG_URL" -f "$work/plain.pg.sql"
  done
fi
