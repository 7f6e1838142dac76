-- Income from the municipal tax system (所得情報), every revision kept.
-- Keep in step with postgres/0008_income.sql.
CREATE TABLE income_version (
    insurer_number TEXT NOT NULL,
    addressee_id TEXT NOT NULL,
    income_year INTEGER NOT NULL,
    -- 0 当初, 1… 修正申告・更正: the highest is what applies
    revision INTEGER NOT NULL,
    total_income INTEGER NOT NULL,
    total_gross_income INTEGER NOT NULL,
    salary_revenue INTEGER NOT NULL,
    salary_income INTEGER NOT NULL,
    pension_revenue INTEGER NOT NULL,
    pension_income INTEGER NOT NULL,
    other_income INTEGER NOT NULL,
    separate_income INTEGER NOT NULL,
    taxable_income INTEGER NOT NULL,
    resident_tax_exempt INTEGER NOT NULL CHECK (resident_tax_exempt IN (0, 1)),
    unreported INTEGER NOT NULL CHECK (unreported IN (0, 1)),
    family_employee_deduction INTEGER NOT NULL,
    file_digest TEXT NOT NULL,
    line INTEGER NOT NULL,
    recorded_us INTEGER NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (insurer_number, addressee_id, income_year, revision)
) STRICT;
