-- Burden categories (国保負担区分ファイル), bitemporal by transaction time:
-- per NHI household and month, the income categories and each insured
-- member's copay rate. A recomputation that changes nothing adds nothing; a
-- change closes the current version (superseded_us) and adds the next, so a
-- claim for a past month is checked against what applied — and was known —
-- then. Keep in step with sqlite/0009_burden.sql.
CREATE TABLE burden_version (
    insurer_number TEXT NOT NULL,
    household_number TEXT NOT NULL,
    month TEXT NOT NULL,
    version_no INTEGER NOT NULL,
    income_year INTEGER NOT NULL,
    category_under_70 TEXT,
    category_70_74 TEXT,
    -- "宛名番号:3割;宛名番号:2割" for the insured members, in 宛名番号 order
    copay_rates TEXT NOT NULL,
    -- why, one reason a line (Japanese, for the counter)
    reasons TEXT NOT NULL,
    -- what made it: income_import, recompute, …
    change_reason TEXT NOT NULL,
    recorded_us BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    superseded_us BIGINT,
    PRIMARY KEY (insurer_number, household_number, month, version_no)
);

CREATE INDEX burden_current ON burden_version (insurer_number, month) WHERE superseded_us IS NULL;
