-- Claims (レセプト) as the federation sent them, and the eligibility checks
-- (資格点検) run over them. Keep in step with sqlite/0013_claims.sql.
--
-- One row a claim, keyed by the file it came from (the file's content
-- digest, also in import_file) and the line of its first record, so every
-- claim can be traced to its source and the same file is stored once.
CREATE TABLE claim (
    insurer_number TEXT NOT NULL,
    file_digest TEXT NOT NULL,
    line BIGINT NOT NULL,
    end_line BIGINT NOT NULL,
    -- 請求年月 of the provider block (YYYY-MM): the month the check processes
    billing_month TEXT NOT NULL,
    -- medical, dental, pharmacy
    provider_kind TEXT NOT NULL,
    -- 都道府県 + 点数表 + 医療機関コード (10 digits)
    provider_code TEXT NOT NULL,
    provider_name TEXT NOT NULL,
    claim_no BIGINT NOT NULL,
    claim_kind TEXT NOT NULL,
    -- inpatient, outpatient, pharmacy
    setting TEXT NOT NULL,
    service_month TEXT NOT NULL,
    name TEXT NOT NULL,
    sex TEXT NOT NULL,
    birth_date DATE NOT NULL,
    benefit_rate BIGINT,
    admitted_on DATE,
    burden_class TEXT NOT NULL,
    -- レセプト特記事項, two-digit codes run together
    notes TEXT NOT NULL,
    -- 保険者番号, 記号, 番号, 枝番 as written on the claim
    claim_insurer TEXT NOT NULL,
    insured_symbol TEXT NOT NULL,
    insured_number TEXT NOT NULL,
    branch_number TEXT,
    days BIGINT NOT NULL,
    points BIGINT NOT NULL,
    copay_charged BIGINT,
    -- 公費: "負担者番号:受給者番号:点数:負担金額" joined by ";"
    public_funding TEXT NOT NULL,
    prescriber TEXT,
    -- 算定日, bit 0 for the 1st
    service_days BIGINT NOT NULL,
    PRIMARY KEY (insurer_number, file_digest, line)
);

CREATE INDEX claim_by_month ON claim (insurer_number, billing_month);

-- What each imported file brought to each processing month: what the
-- claims screen lists without reading every claim.
CREATE TABLE claim_file_month (
    insurer_number TEXT NOT NULL,
    file_digest TEXT NOT NULL,
    billing_month TEXT NOT NULL,
    claims BIGINT NOT NULL,
    points BIGINT NOT NULL,
    PRIMARY KEY (insurer_number, file_digest, billing_month)
);

-- An eligibility check of a processing month, as the records were known at
-- known_at_us; a check run again adds a new one (the old stays, as run).
CREATE TABLE claim_check (
    insurer_number TEXT NOT NULL,
    check_id BIGINT NOT NULL,
    billing_month TEXT NOT NULL,
    known_at_us BIGINT NOT NULL,
    claims BIGINT NOT NULL,
    listed BIGINT NOT NULL,
    checked_us BIGINT NOT NULL,
    checked_by TEXT NOT NULL,
    PRIMARY KEY (insurer_number, check_id)
);

CREATE INDEX claim_check_by_month ON claim_check (insurer_number, billing_month);

-- What a check found on a claim, one row a reason.
CREATE TABLE claim_finding (
    insurer_number TEXT NOT NULL,
    check_id BIGINT NOT NULL,
    file_digest TEXT NOT NULL,
    line BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    reason TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('return', 'adjustment', 'confirm')),
    detail_en TEXT NOT NULL,
    detail_ja TEXT NOT NULL,
    -- the person the claim's numbers led to, where they led to one
    addressee_id TEXT,
    PRIMARY KEY (insurer_number, check_id, file_digest, line, seq)
);
