-- 高額介護合算療養費 (combined_care): the year of August to July in which a
-- household's medical and long-term-care copays are added up.
-- * `combined_care_certificate`: what other insurers certify for a person
--   and year — the care insurer's 介護自己負担額証明書 (what 高額介護サービス
--   費 left), or another medical insurer's 自己負担額証明書 for months spent
--   with it — entered by a clerk, voided, never deleted.
-- * the benefit kind `combined_care`, applied for by the householder of the
--   base date and paid like every benefit, and recovered (返納金) like
--   高額療養費 when a later calculation comes lower than what was paid.
-- Keep in step with the other backend's file.
CREATE TABLE combined_care_certificate (
    insurer_number TEXT NOT NULL,
    entry_id BIGINT NOT NULL,
    addressee_id TEXT NOT NULL,
    -- the year of the August the period starts with
    year BIGINT NOT NULL,
    -- care: the care insurer's (介護保険者); medical: another medical insurer's
    side TEXT NOT NULL CHECK (side IN ('care', 'medical')),
    -- the certifying insurer (保険者番号, 6 or 8 digits)
    issuer TEXT NOT NULL,
    -- the certificate's own reference (番号, 交付日); never a My Number
    certificate TEXT NOT NULL,
    -- the months certified (YYYY-MM, within the year)
    from_month TEXT NOT NULL,
    to_month TEXT NOT NULL,
    -- the copays certified, and of them the months aged 70–74
    amount BIGINT NOT NULL CHECK (amount >= 0),
    amount_70_74 BIGINT NOT NULL CHECK (amount_70_74 >= 0 AND amount_70_74 <= amount),
    recorded_us BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    voided_us BIGINT,
    voided_by TEXT,
    PRIMARY KEY (insurer_number, entry_id)
);

CREATE INDEX combined_care_certificate_person ON combined_care_certificate (insurer_number, addressee_id, year);
-- one live certificate per person, year, side and issuer
CREATE UNIQUE INDEX combined_care_certificate_once ON combined_care_certificate (insurer_number, addressee_id, year, side, issuer)
    WHERE voided_us IS NULL;

ALTER TABLE benefit_application DROP CONSTRAINT benefit_application_kind_check;
ALTER TABLE benefit_application ADD CONSTRAINT benefit_application_kind_check
    CHECK (kind IN ('high_cost_benefit', 'annual_outpatient', 'combined_care', 'reimbursement',
        'childbirth_grant', 'funeral_grant', 'transport_benefit', 'meal_difference'));

ALTER TABLE benefit_recovery DROP CONSTRAINT benefit_recovery_kind_check;
ALTER TABLE benefit_recovery ADD CONSTRAINT benefit_recovery_kind_check
    CHECK (kind IN ('high_cost_benefit', 'annual_outpatient', 'combined_care'));
