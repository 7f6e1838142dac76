-- Income from the municipal tax system (所得情報), every revision kept.
-- Keep in step with sqlite/0008_income.sql.
CREATE TABLE income_version (
    insurer_number TEXT NOT NULL,
    addressee_id TEXT NOT NULL,
    income_year INTEGER NOT NULL,
    -- 0 当初, 1… 修正申告・更正: the highest is what applies
    revision INTEGER NOT NULL,
    total_income BIGINT NOT NULL,
    total_gross_income BIGINT NOT NULL,
    salary_revenue BIGINT NOT NULL,
    salary_income BIGINT NOT NULL,
    pension_revenue BIGINT NOT NULL,
    pension_income BIGINT NOT NULL,
    other_income BIGINT NOT NULL,
    separate_income BIGINT NOT NULL,
    taxable_income BIGINT NOT NULL,
    resident_tax_exempt BOOLEAN NOT NULL,
    unreported BOOLEAN NOT NULL,
    family_employee_deduction BIGINT NOT NULL,
    file_digest TEXT NOT NULL,
    line BIGINT NOT NULL,
    recorded_us BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (insurer_number, addressee_id, income_year, revision)
);
