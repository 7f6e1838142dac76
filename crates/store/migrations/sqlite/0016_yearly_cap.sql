-- The yearly cap (年間上限) of the 2026-08 revision: over August to July,
-- what the monthly high-cost benefits left to be borne is added up. Keep in
-- step with postgres/0016_yearly_cap.sql.
--
-- Every monthly high-cost run writes, for each person with claims in each
-- household-month, what they bore, what of it was added up and their share
-- of the benefit on the limits; a year reads the rows of each month's latest
-- run. A run made before this migration wrote none: the flag tells. A
-- household-month the run could not compute (no burden category, or refused)
-- has no rows: the run names those households in borne_left_out.
ALTER TABLE high_cost_run ADD COLUMN borne_recorded INTEGER NOT NULL DEFAULT 0 CHECK (borne_recorded IN (0, 1));
ALTER TABLE high_cost_run ADD COLUMN borne_left_out TEXT NOT NULL DEFAULT '';

CREATE TABLE borne_month (
    insurer_number TEXT NOT NULL,
    run_id INTEGER NOT NULL,
    service_month TEXT NOT NULL,
    addressee_id TEXT NOT NULL,
    household_number TEXT NOT NULL,
    -- preschool | under_70 | 70_74, that month
    age_group TEXT NOT NULL CHECK (age_group IN ('preschool', 'under_70', '70_74')),
    -- the copays after 特定疾病 limits, every claim unit
    bears INTEGER NOT NULL CHECK (bears >= 0),
    -- of which in the units added up (under 70: at least the 合算 floor)
    aggregated INTEGER NOT NULL CHECK (aggregated >= 0 AND aggregated <= bears),
    -- the person's share of the month's benefit on the limits
    limit_benefit INTEGER NOT NULL CHECK (limit_benefit >= 0 AND limit_benefit <= aggregated),
    -- a person who changed household in the month has a row in each
    PRIMARY KEY (insurer_number, run_id, addressee_id, household_number)
) STRICT;
