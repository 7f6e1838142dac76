-- (PostgreSQL form of bench-insure-all.sql.) Benchmark data, not a test: makes every resident of a generated city
-- (kokuho generate --no-history) an NHI insured person with one open
-- period from 2020-04-01, in their registry household, with 記号・番号 and
-- 枝番 — a city of as many insured as residents, in seconds. Used by
-- scripts/bench-exchange.sh; never on a real database.
BEGIN;
INSERT INTO nhi_household (insurer_number, household_number, insured_symbol, insured_number, assigned_us)
SELECT insurer_number, household_number, '八頭',
       lpad((ROW_NUMBER() OVER (ORDER BY household_number))::text, 7, '0'), 1585699200000000
FROM household;
INSERT INTO branch_assignment (insurer_number, household_number, addressee_id, branch_number)
SELECT insurer_number, household_number, addressee_id,
       lpad((ROW_NUMBER() OVER (PARTITION BY household_number ORDER BY addressee_id))::text, 2, '0')
FROM addressee;
INSERT INTO eligibility_version (insurer_number, period_id, version_no, addressee_id, acquired_on,
    acquisition_reason, acquisition_event_on, acquisition_notified_on, acquisition_late, lost_on,
    loss_reason, loss_event_on, loss_notified_on, loss_late, previous_insurer_number,
    next_insurer_number, address_exception, student_exception, foreign_stay_until, voided,
    change_kind, change_note, recorded_us, recorded_by, superseded_us)
SELECT insurer_number, ROW_NUMBER() OVER (ORDER BY addressee_id), 1, addressee_id, DATE '2020-04-01',
    'move_in', DATE '2020-04-01', DATE '2020-04-01', false, NULL, NULL, NULL, NULL, false, NULL, NULL, false, false, NULL, false,
    'acquisition', 'benchmark', 1585699200000000, 'bench', NULL
FROM addressee;
INSERT INTO membership_version (insurer_number, membership_id, version_no, addressee_id, household_number,
    valid_from, valid_to, reason, voided, recorded_us, recorded_by, superseded_us)
SELECT insurer_number, ROW_NUMBER() OVER (ORDER BY addressee_id), 1, addressee_id, household_number,
    DATE '2020-04-01', NULL, 'acquisition', false, 1585699200000000, 'bench', NULL
FROM addressee;
COMMIT;
