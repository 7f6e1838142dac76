-- The monthly high-cost run (高額療養費): for a service month, every
-- household's benefit from its stored claims, booked as a decision for the
-- benefits workflow, and the household's high-cost months that later months'
-- 多数回 count on. Keep in step with sqlite/0014_high_cost.sql.
--
-- The run reads a service month's claims whatever month they were billed in
-- (a late claim arrives later), hence the index.
CREATE INDEX claim_by_service_month ON claim (insurer_number, service_month);

-- One run of a service month, as the records were known at known_at_us.
CREATE TABLE high_cost_run (
    insurer_number TEXT NOT NULL,
    run_id BIGINT NOT NULL,
    service_month TEXT NOT NULL,
    known_at_us BIGINT NOT NULL,
    -- claims of the service month taken into the calculation
    claims BIGINT NOT NULL,
    -- claims left out: returned by the eligibility check, with 公費, not placed
    left_out BIGINT NOT NULL,
    -- households whose month came to a benefit
    households BIGINT NOT NULL,
    -- decisions booked by this run (new or changed)
    booked BIGINT NOT NULL,
    benefit BIGINT NOT NULL,
    refund BIGINT NOT NULL,
    -- the eligibility checks whose returns were left out ("2026-10:3;…")
    checks TEXT NOT NULL,
    -- the rule table's source for the month
    rules_source TEXT NOT NULL,
    ran_us BIGINT NOT NULL,
    ran_by TEXT NOT NULL,
    PRIMARY KEY (insurer_number, run_id)
);

-- A household's high-cost benefit of a service month, versioned: a run that
-- finds the same amounts books nothing; one that finds others (a late or
-- returned claim, a changed category) closes the current version and adds
-- the next with the difference.
CREATE TABLE high_cost_decision (
    insurer_number TEXT NOT NULL,
    household_number TEXT NOT NULL,
    service_month TEXT NOT NULL,
    version_no BIGINT NOT NULL,
    run_id BIGINT NOT NULL,
    -- the householder the benefit is paid to (宛名番号), where known
    householder_id TEXT,
    category_under_70 TEXT,
    category_70_74 TEXT,
    frequent_case BOOLEAN NOT NULL,
    counts_as_high_cost_month BOOLEAN NOT NULL,
    benefit BIGINT NOT NULL,
    paid_in_kind BIGINT NOT NULL,
    refund BIGINT NOT NULL,
    in_kind_excess BIGINT NOT NULL,
    -- refund less the previous version's refund
    difference BIGINT NOT NULL,
    -- why a clerk should look (Japanese, one reason a line); empty if none
    review TEXT NOT NULL,
    -- the calculation as JSON: members, claim units, steps, prior months,
    -- claims left out
    basis TEXT NOT NULL,
    recorded_us BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    superseded_us BIGINT,
    PRIMARY KEY (insurer_number, household_number, service_month, version_no)
);

CREATE INDEX high_cost_decision_by_run ON high_cost_decision (insurer_number, run_id);

-- A household's months with a high-cost benefit, for 多数回: from this
-- insurer's decisions, or handed over from another municipality of the
-- prefecture (国保情報集約システム's 引継情報, or entered from it).
CREATE TABLE high_cost_month (
    insurer_number TEXT NOT NULL,
    household_number TEXT NOT NULL,
    service_month TEXT NOT NULL,
    seq BIGINT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('decision', 'handed_over')),
    -- the insurer that handed the month over
    from_insurer TEXT,
    run_id BIGINT,
    recorded_us BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    voided_us BIGINT,
    voided_by TEXT,
    PRIMARY KEY (insurer_number, household_number, service_month, seq)
);
