-- The NHI tax levy (国民健康保険税の賦課), every version kept. Keep in step
-- with sqlite/0011_levy.sql.
--
-- A version is the household's levy for a fiscal year as booked (調定) by
-- the annual assessment (本算定) or a reassessment (更正): the amounts per
-- component, the difference from the version before, and the basis it was
-- computed from (members, insured periods, incomes, flags as JSON), so the
-- line-by-line explanation is reproduced from exactly what was used; the
-- rules_digest tells whether the dated rule table has been edited since.
CREATE TABLE levy_version (
    insurer_number TEXT NOT NULL,
    household_number TEXT NOT NULL,
    fiscal_year BIGINT NOT NULL,
    version_no BIGINT NOT NULL,
    -- the ordinance profile (e.g. yazu) and the rules' digest
    profile TEXT NOT NULL,
    rules_digest TEXT NOT NULL,
    total BIGINT NOT NULL,
    -- 7割, 5割, 2割 or NULL
    reduction TEXT,
    medical BIGINT NOT NULL,
    elderly_support BIGINT NOT NULL,
    care BIGINT NOT NULL,
    child_support BIGINT NOT NULL,
    -- total less the previous version's total (the first: the total)
    difference BIGINT NOT NULL,
    -- what installments already due exceed the new total by (過誤納)
    overpaid BIGINT NOT NULL,
    basis TEXT NOT NULL,
    -- annual_assessment, eligibility_change, income_import, …
    change_reason TEXT NOT NULL,
    -- the day the assessment was made (decides which installments stay)
    assessed_on DATE NOT NULL,
    recorded_us BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    superseded_us BIGINT,
    PRIMARY KEY (insurer_number, household_number, fiscal_year, version_no)
);

CREATE INDEX levy_current ON levy_version (insurer_number, fiscal_year) WHERE superseded_us IS NULL;

-- The installment schedule (納期) of each version.
CREATE TABLE levy_installment (
    insurer_number TEXT NOT NULL,
    household_number TEXT NOT NULL,
    fiscal_year BIGINT NOT NULL,
    version_no BIGINT NOT NULL,
    installment_no BIGINT NOT NULL,
    due_date DATE NOT NULL,
    amount BIGINT NOT NULL,
    PRIMARY KEY (insurer_number, household_number, fiscal_year, version_no, installment_no)
);

-- Which ordinance profile (rates, due dates) the insurer levies by.
ALTER TABLE insurer ADD COLUMN levy_profile TEXT NOT NULL DEFAULT 'yazu';
