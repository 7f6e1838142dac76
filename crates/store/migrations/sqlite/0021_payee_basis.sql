-- Benefit applications gain:
-- * who is paid, and why (受取人の区分): the person the law pays (entitled),
--   an heir of that person who died before being paid (heir, 相続人代表者),
--   or a person they authorised (proxy, 委任). `entitled_id` is the person
--   the law pays (宛名番号) — the householder on the event's day, or
--   whoever held the funeral — kept beside the payee so the notice and the
--   audit see both. Rows from before are the entitled person's own.
-- * the kind `annual_outpatient`: 高額療養費（外来年間合算） applied for
--   from the yearly run's decision.
-- * a decision to pay revoked before any money went (`revoked`: the payee
--   died, the heir applies), with when, by whom and why; the decision's
--   own columns are kept.
-- SQLite cannot change a CHECK in place, so the table is built again with
-- the same rows (nothing refers to it by a foreign key). Keep in step with
-- the other backend's file.
CREATE TABLE benefit_application_new (
    insurer_number TEXT NOT NULL,
    application_id INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('high_cost_benefit', 'annual_outpatient', 'reimbursement',
        'childbirth_grant', 'funeral_grant', 'transport_benefit', 'meal_difference')),
    -- 療養費's type (appliance, judo_therapy, acupuncture_massage, overseas, other)
    subtype TEXT,
    -- the insured person the event is about (宛名番号): the mother, the
    -- deceased, the patient; for 高額療養費 the householder; for 外来年間合算
    -- the person aged 70–74
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

INSERT INTO benefit_application_new (insurer_number, application_id, kind, subtype, addressee_id,
    household_number, event_on, event_key, facts, received_on, applicant, documents, payee_id,
    application_account, amount, basis, rule, provisional, received_us, received_by, decision,
    decision_reason, decided_on, decided_us, decided_by, payee_basis, entitled_id)
SELECT insurer_number, application_id, kind, subtype, addressee_id, household_number, event_on,
    event_key, facts, received_on, applicant, documents, payee_id, application_account, amount, basis,
    rule, provisional, received_us, received_by, decision, decision_reason, decided_on, decided_us,
    decided_by, 'entitled', payee_id
FROM benefit_application;

DROP TABLE benefit_application;
ALTER TABLE benefit_application_new RENAME TO benefit_application;

CREATE UNIQUE INDEX benefit_application_event ON benefit_application (insurer_number, event_key)
    WHERE decision IS NULL OR decision = 'pay';
CREATE INDEX benefit_application_by_payee ON benefit_application (insurer_number, payee_id);
CREATE INDEX benefit_application_by_person ON benefit_application (insurer_number, addressee_id);
