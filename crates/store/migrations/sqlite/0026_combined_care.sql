-- 高額介護合算療養費 (combined_care): the year of August to July in which a
-- household's medical and long-term-care copays are added up.
-- * `combined_care_certificate`: what other insurers certify for a person
--   and year — the care insurer's 介護自己負担額証明書 (what 高額介護サービス
--   費 left), or another medical insurer's 自己負担額証明書 for months spent
--   with it — entered by a clerk, voided, never deleted.
-- * the benefit kind `combined_care`, applied for by the householder of the
--   base date and paid like every benefit, and recovered (返納金) like
--   高額療養費 when a later calculation comes lower than what was paid.
-- SQLite cannot change a CHECK in place, so the applications table is built
-- again with the same rows (as in 0021). Keep in step with the other
-- backend's file.
CREATE TABLE combined_care_certificate (
    insurer_number TEXT NOT NULL,
    entry_id INTEGER NOT NULL,
    addressee_id TEXT NOT NULL,
    -- the year of the August the period starts with
    year INTEGER NOT NULL,
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
    amount INTEGER NOT NULL CHECK (amount >= 0),
    amount_70_74 INTEGER NOT NULL CHECK (amount_70_74 >= 0 AND amount_70_74 <= amount),
    recorded_us INTEGER NOT NULL,
    recorded_by TEXT NOT NULL,
    voided_us INTEGER,
    voided_by TEXT,
    PRIMARY KEY (insurer_number, entry_id)
) STRICT;

CREATE INDEX combined_care_certificate_person ON combined_care_certificate (insurer_number, addressee_id, year);
-- one live certificate per person, year, side and issuer
CREATE UNIQUE INDEX combined_care_certificate_once ON combined_care_certificate (insurer_number, addressee_id, year, side, issuer)
    WHERE voided_us IS NULL;

CREATE TABLE benefit_application_new (
    insurer_number TEXT NOT NULL,
    application_id INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('high_cost_benefit', 'annual_outpatient', 'combined_care',
        'reimbursement', 'childbirth_grant', 'funeral_grant', 'transport_benefit',
        'meal_difference')),
    -- 療養費's type (appliance, judo_therapy, acupuncture_massage, overseas, other)
    subtype TEXT,
    -- the insured person the event is about (宛名番号): the mother, the
    -- deceased, the patient; for 高額療養費 the householder; for 外来年間合算
    -- the person aged 70–74; for 高額介護合算 the member named (paid: the
    -- householder of the base date)
    addressee_id TEXT NOT NULL,
    -- 高額療養費: the household and its service month
    household_number TEXT,
    -- the day the person had to be insured on
    event_on TEXT NOT NULL,
    -- what makes two applications one event: a second is refused while the
    -- first is awaiting its decision or was decided to pay
    event_key TEXT NOT NULL,
    -- the event's facts as given and checked (JSON)
    facts TEXT NOT NULL,
    received_on TEXT NOT NULL,
    -- who applied (name, relation) and the documents shown
    applicant TEXT NOT NULL,
    documents TEXT NOT NULL,
    -- the person paid (宛名番号), and whether they chose the application's
    -- account over their 公金受取口座
    payee_id TEXT NOT NULL,
    application_account INTEGER NOT NULL CHECK (application_account IN (0, 1)),
    amount INTEGER NOT NULL CHECK (amount > 0),
    -- how the amount was reached, one step a line (Japanese)
    basis TEXT NOT NULL,
    -- the rule used (table period and source, or the law's article)
    rule TEXT NOT NULL,
    provisional INTEGER NOT NULL CHECK (provisional IN (0, 1)),
    received_us INTEGER NOT NULL,
    received_by TEXT NOT NULL,
    -- pay (支給) | refuse (不支給); NULL while awaiting the decision
    decision TEXT CHECK (decision IN ('pay', 'refuse', 'revoked')),
    decision_reason TEXT,
    decided_on TEXT,
    decided_us INTEGER,
    decided_by TEXT,
    payee_basis TEXT NOT NULL DEFAULT 'entitled' CHECK (payee_basis IN ('entitled', 'heir', 'proxy')),
    entitled_id TEXT,
    revoked_on TEXT,
    revoked_us INTEGER,
    revoked_by TEXT,
    revoke_reason TEXT,
    PRIMARY KEY (insurer_number, application_id)
) STRICT;

INSERT INTO benefit_application_new (insurer_number, application_id, kind, subtype, addressee_id, household_number, event_on,
    event_key, facts, received_on, applicant, documents, payee_id, application_account, amount, basis,
    rule, provisional, received_us, received_by, decision, decision_reason, decided_on, decided_us,
    decided_by, payee_basis, entitled_id, revoked_on, revoked_us, revoked_by, revoke_reason)
SELECT insurer_number, application_id, kind, subtype, addressee_id, household_number, event_on,
    event_key, facts, received_on, applicant, documents, payee_id, application_account, amount, basis,
    rule, provisional, received_us, received_by, decision, decision_reason, decided_on, decided_us,
    decided_by, payee_basis, entitled_id, revoked_on, revoked_us, revoked_by, revoke_reason
FROM benefit_application;

DROP TABLE benefit_application;
ALTER TABLE benefit_application_new RENAME TO benefit_application;

CREATE UNIQUE INDEX benefit_application_event ON benefit_application (insurer_number, event_key)
    WHERE decision IS NULL OR decision = 'pay';
CREATE INDEX benefit_application_by_payee ON benefit_application (insurer_number, payee_id);
CREATE INDEX benefit_application_by_person ON benefit_application (insurer_number, addressee_id);

CREATE TABLE benefit_recovery_new (
    insurer_number TEXT NOT NULL,
    recovery_id INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('high_cost_benefit', 'annual_outpatient', 'combined_care')),
    -- the event: the household and service month (高額療養費), the
    -- person and the year of its August (外来年間合算), or the household
    -- and the year of its August (高額介護合算)
    subject TEXT NOT NULL,
    period TEXT NOT NULL,
    -- who was paid and owes it (宛名番号)
    debtor_id TEXT NOT NULL,
    paid_total INTEGER NOT NULL CHECK (paid_total > 0),
    due_total INTEGER NOT NULL CHECK (due_total >= 0),
    amount INTEGER NOT NULL CHECK (amount > 0),
    -- how the amount was reached, one step a line (Japanese)
    basis TEXT NOT NULL,
    assessed_on TEXT NOT NULL,
    -- 納期限
    due_by TEXT NOT NULL,
    assessed_us INTEGER NOT NULL,
    assessed_by TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('assessed', 'repaid', 'cancelled')),
    settled_on TEXT,
    settled_note TEXT,
    settled_us INTEGER,
    settled_by TEXT,
    PRIMARY KEY (insurer_number, recovery_id)
) STRICT;

INSERT INTO benefit_recovery_new (insurer_number, recovery_id, kind, subject, period, debtor_id, paid_total, due_total, amount, basis, assessed_on, due_by, assessed_us, assessed_by, status, settled_on, settled_note, settled_us, settled_by)
SELECT insurer_number, recovery_id, kind, subject, period, debtor_id, paid_total, due_total, amount, basis, assessed_on, due_by, assessed_us, assessed_by, status, settled_on, settled_note, settled_us, settled_by
FROM benefit_recovery;

DROP TABLE benefit_recovery;
ALTER TABLE benefit_recovery_new RENAME TO benefit_recovery;

CREATE INDEX benefit_recovery_event ON benefit_recovery (insurer_number, kind, subject, period);
CREATE INDEX benefit_recovery_debtor ON benefit_recovery (insurer_number, debtor_id);
