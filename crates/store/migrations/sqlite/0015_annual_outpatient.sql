-- The annual outpatient cap (外来年間合算, 年間上限): for a person aged 70–74
-- in the 一般 or 低所得 category on 31 July, the outpatient copays of August
-- to July left after the monthly benefits, above the year's cap, are paid
-- back. Keep in step with postgres/0015_annual_outpatient.sql.
--
-- Every monthly high-cost run writes, for each member aged 70–74 with
-- outpatient care, what the month left them to bear; the year adds up the
-- rows of each month's latest run. A run made before this migration wrote
-- none: the flag tells, and the yearly run asks for such a month again.
ALTER TABLE high_cost_run ADD COLUMN outpatient_recorded INTEGER NOT NULL DEFAULT 0 CHECK (outpatient_recorded IN (0, 1));

CREATE TABLE outpatient_month (
    insurer_number TEXT NOT NULL,
    run_id INTEGER NOT NULL,
    service_month TEXT NOT NULL,
    addressee_id TEXT NOT NULL,
    household_number TEXT NOT NULL,
    category_70_74 TEXT,
    -- the outpatient copays of the month (after 特定疾病 limits)
    outpatient INTEGER NOT NULL,
    -- what is left after the month's high-cost benefit
    outpatient_left INTEGER NOT NULL,
    -- a person who changed household in the month has a row in each
    PRIMARY KEY (insurer_number, run_id, addressee_id, household_number)
) STRICT;

CREATE INDEX outpatient_month_by_person ON outpatient_month (insurer_number, addressee_id, service_month);

-- One annual run of a year (August to July), as known at known_at_us.
CREATE TABLE annual_outpatient_run (
    insurer_number TEXT NOT NULL,
    run_id INTEGER NOT NULL,
    -- the year of its August: 2025 is 2025-08 to 2026-07
    year INTEGER NOT NULL,
    known_at_us INTEGER NOT NULL,
    -- persons aged 70–74 with outpatient care in the year
    persons INTEGER NOT NULL,
    -- persons with a benefit
    with_benefit INTEGER NOT NULL,
    -- decisions booked by this run (new or changed)
    booked INTEGER NOT NULL,
    benefit INTEGER NOT NULL,
    -- the monthly runs read ("2025-08:3;…")
    months TEXT NOT NULL,
    rules_source TEXT NOT NULL,
    ran_us INTEGER NOT NULL,
    ran_by TEXT NOT NULL,
    PRIMARY KEY (insurer_number, run_id)
) STRICT;

-- A person's annual outpatient benefit of a year, versioned as the monthly
-- decisions are: the same outcome books nothing, another the next version
-- with the difference.
CREATE TABLE annual_outpatient_decision (
    insurer_number TEXT NOT NULL,
    addressee_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    version_no INTEGER NOT NULL,
    run_id INTEGER NOT NULL,
    -- the household and its householder (the payee) on the base date
    household_number TEXT,
    householder_id TEXT,
    -- the category on the base date (31 July)
    category_70_74 TEXT,
    -- the outpatient copays left, of the months that count
    counted INTEGER NOT NULL,
    cap INTEGER NOT NULL,
    benefit INTEGER NOT NULL,
    difference INTEGER NOT NULL,
    -- why a clerk should look (Japanese, one reason a line); empty if none
    review TEXT NOT NULL,
    -- months, amounts and steps as JSON
    basis TEXT NOT NULL,
    recorded_us INTEGER NOT NULL,
    recorded_by TEXT NOT NULL,
    superseded_us INTEGER,
    PRIMARY KEY (insurer_number, addressee_id, year, version_no)
) STRICT;

CREATE INDEX annual_outpatient_decision_by_run ON annual_outpatient_decision (insurer_number, run_id);
