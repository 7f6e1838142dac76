-- (PostgreSQL form of bench-claims.sql.) Benchmark data, not a test: one processing month (請求 2026-10) of claims
-- for a city made by bench-insure-all.sql — one claim for every insured
-- person and a second for every other one (1.5 a person), in the mix of a
-- month (six in ten medical outpatient, three pharmacy, one dental, one in
-- fifty an inpatient stay), as if imported from one file. Used by
-- scripts/bench-statistics.sh; never on a real database.
BEGIN;
INSERT INTO import_file (insurer_number, kind, digest, file_name, row_count, imported_us, imported_by)
SELECT insurer_number, 'claims', 'bench-2026-10', 'bench-2026-10.uke', 0, 1793491200000000, 'bench'
FROM insurer;
CREATE TEMP TABLE bench_person AS
SELECT a.insurer_number, a.addressee_id, a.birth_date, a.sex, n.insured_symbol, n.insured_number,
       b.branch_number, ROW_NUMBER() OVER (ORDER BY a.addressee_id) AS r
FROM addressee a
JOIN nhi_household n ON n.insurer_number = a.insurer_number AND n.household_number = a.household_number
JOIN branch_assignment b ON b.insurer_number = a.insurer_number AND b.household_number = a.household_number
  AND b.addressee_id = a.addressee_id;
CREATE TEMP TABLE bench_claim AS
SELECT p.*, s.k AS second, (p.r * 2 + s.k) AS seq FROM bench_person p, (SELECT 0 AS k UNION ALL SELECT 1) s
WHERE s.k = 0 OR p.r % 2 = 0;
INSERT INTO claim (insurer_number, file_digest, line, end_line, billing_month, provider_kind, provider_code,
    provider_name, claim_no, claim_kind, setting, service_month, name, sex, birth_date, benefit_rate,
    admitted_on, burden_class, notes, claim_insurer, insured_symbol, insured_number, branch_number, days,
    points, copay_charged, public_funding, prescriber, service_days)
SELECT insurer_number, 'bench-2026-10', seq, seq, '2026-10',
    CASE WHEN seq % 10 = 0 THEN 'dental' WHEN seq % 10 IN (1, 2, 3) THEN 'pharmacy' ELSE 'medical' END,
    '3111' || lpad((seq % 400)::text, 6, '0'), 'ベンチ医院', seq,
    '1112',
    CASE WHEN seq % 10 IN (1, 2, 3) THEN 'pharmacy' WHEN seq % 50 = 4 THEN 'inpatient' ELSE 'outpatient' END,
    '2026-09', 'ベンチ', sex::text, birth_date, 70, NULL, '', '',
    insurer_number, insured_symbol, insured_number, branch_number,
    CASE WHEN seq % 50 = 4 THEN 14 ELSE 1 + seq % 3 END,
    CASE WHEN seq % 50 = 4 THEN 40000 + (seq * 37) % 60000 ELSE 200 + (seq * 37) % 2400 END,
    NULL, '', NULL, 1
FROM bench_claim;
INSERT INTO claim_file_month (insurer_number, file_digest, billing_month, claims, points)
SELECT insurer_number, 'bench-2026-10', '2026-10', COUNT(*), CAST(SUM(points) AS BIGINT) FROM claim
WHERE file_digest = 'bench-2026-10' GROUP BY insurer_number;
UPDATE import_file SET row_count = (SELECT COUNT(*) FROM claim WHERE file_digest = 'bench-2026-10')
WHERE digest = 'bench-2026-10';
COMMIT;
