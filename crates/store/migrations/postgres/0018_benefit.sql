-- Benefits and payments (給付・支払): applications for every kind of benefit
-- and their decisions, the runs that pay the decided ones, each transfer of
-- a run, and the town's bank contract the transfer file is written for.
-- Keep in step with the other backend's 0018_benefit.sql.

-- An application (申請) as received and checked: the event it is for, the
-- amount the rules of the event's date give and the rule used; then the
-- supervisor's decision (支給 / 不支給 with the reason).
CREATE TABLE benefit_application (
    insurer_number TEXT NOT NULL,
    application_id BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('high_cost_benefit', 'reimbursement', 'childbirth_grant',
        'funeral_grant', 'transport_benefit', 'meal_difference')),
    -- 療養費's type (appliance, judo_therapy, acupuncture_massage, overseas, other)
    subtype TEXT,
    -- the insured person the event is about (宛名番号): the mother, the
    -- deceased, the patient; for 高額療養費 the householder
    addressee_id TEXT NOT NULL,
    -- 高額療養費: the household and its service month
    household_number TEXT,
    -- the day the person had to be insured on
    event_on DATE NOT NULL,
    -- what makes two applications one event: a second is refused while the
    -- first is awaiting its decision or was decided to pay
    event_key TEXT NOT NULL,
    -- the event's facts as given and checked (JSON)
    facts TEXT NOT NULL,
    received_on DATE NOT NULL,
    -- who applied (name, relation) and the documents shown
    applicant TEXT NOT NULL,
    documents TEXT NOT NULL,
    -- the person paid (宛名番号), and whether they chose the application's
    -- account over their 公金受取口座
    payee_id TEXT NOT NULL,
    application_account BOOLEAN NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    -- how the amount was reached, one step a line (Japanese)
    basis TEXT NOT NULL,
    -- the rule used (table period and source, or the law's article)
    rule TEXT NOT NULL,
    provisional BOOLEAN NOT NULL,
    received_us BIGINT NOT NULL,
    received_by TEXT NOT NULL,
    -- pay (支給) | refuse (不支給); NULL while awaiting the decision
    decision TEXT CHECK (decision IN ('pay', 'refuse')),
    decision_reason TEXT,
    decided_on DATE,
    decided_us BIGINT,
    decided_by TEXT,
    PRIMARY KEY (insurer_number, application_id)
);

CREATE UNIQUE INDEX benefit_application_event ON benefit_application (insurer_number, event_key)
    WHERE decision IS NULL OR decision = 'pay';
CREATE INDEX benefit_application_by_payee ON benefit_application (insurer_number, payee_id);
CREATE INDEX benefit_application_by_person ON benefit_application (insurer_number, addressee_id);

-- The account a payment goes to: a person's current account of a source,
-- found for each of a run's benefits.
CREATE INDEX bank_account_current ON bank_account (insurer_number, addressee_id, source, account_id);

-- A payment run: the decided, unpaid benefits due by a day, paid on a day.
-- created → approved (by a supervisor who did not create it) → written (the
-- transfer file) → sent or failed; cancelled only before approval.
CREATE TABLE payment_run (
    insurer_number TEXT NOT NULL,
    run_id BIGINT NOT NULL,
    due_by DATE NOT NULL,
    pay_on DATE NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('created', 'approved', 'cancelled', 'written', 'sent', 'failed')),
    transfers BIGINT NOT NULL,
    total BIGINT NOT NULL,
    -- the decided benefits left out for want of an account to pay into
    without_account BIGINT NOT NULL,
    -- the transfer file as last written (SHA-256, hex), its bytes
    file_sha256 TEXT,
    file_bytes BIGINT,
    created_us BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    approved_us BIGINT,
    approved_by TEXT,
    cancelled_us BIGINT,
    cancelled_by TEXT,
    written_us BIGINT,
    written_by TEXT,
    settled_us BIGINT,
    settled_by TEXT,
    PRIMARY KEY (insurer_number, run_id)
);

-- One transfer of a run: a benefit, the account it goes to as it was when
-- the run was made, and what became of it. A benefit is pending or paid in
-- at most one run; a returned or cancelled one may go in a later run.
CREATE TABLE payment (
    insurer_number TEXT NOT NULL,
    run_id BIGINT NOT NULL,
    application_id BIGINT NOT NULL,
    -- the record's place in the transfer file (1-based)
    line BIGINT NOT NULL,
    payee_id TEXT NOT NULL,
    account_id BIGINT NOT NULL,
    bank_code TEXT NOT NULL,
    branch_code TEXT NOT NULL,
    account_type TEXT NOT NULL,
    number TEXT NOT NULL,
    holder_transfer TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    -- pending | paid | returned (不能・組戻し, back in the queue) | cancelled
    outcome TEXT NOT NULL CHECK (outcome IN ('pending', 'paid', 'returned', 'cancelled')),
    outcome_us BIGINT,
    outcome_by TEXT,
    return_reason TEXT,
    PRIMARY KEY (insurer_number, run_id, application_id)
);

CREATE UNIQUE INDEX payment_once ON payment (insurer_number, application_id)
    WHERE outcome IN ('pending', 'paid');
CREATE INDEX payment_by_application ON payment (insurer_number, application_id);

-- The town's bank contract (振込依頼人): the transfer file's header and the
-- codes the bank asked for; versioned, the latest applies.
CREATE TABLE payment_settings (
    insurer_number TEXT NOT NULL,
    version_no BIGINT NOT NULL,
    requester_code TEXT NOT NULL,
    requester_name TEXT NOT NULL,
    bank_code TEXT NOT NULL,
    bank_name TEXT NOT NULL,
    branch_code TEXT NOT NULL,
    branch_name TEXT NOT NULL,
    account_type TEXT NOT NULL,
    account_number TEXT NOT NULL,
    -- 新規コード and 振込指定区分 as the bank's manual says
    new_code TEXT NOT NULL,
    transfer_class TEXT NOT NULL,
    line_breaks BOOLEAN NOT NULL,
    recorded_us BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (insurer_number, version_no)
);

-- 高額療養費 by the simplified route (申請簡素化), where the town takes it: a
-- household that asked for it (with its first application, or by a
-- separate form) has later months' benefits applied for by the monthly
-- batch. Ended, never deleted.
CREATE TABLE high_cost_simplified (
    insurer_number TEXT NOT NULL,
    household_number TEXT NOT NULL,
    seq BIGINT NOT NULL,
    -- the first service month covered (YYYY-MM)
    from_month TEXT NOT NULL,
    consented_on DATE NOT NULL,
    -- the application it was asked for with, if any
    application_id BIGINT,
    recorded_us BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    ended_us BIGINT,
    ended_by TEXT,
    PRIMARY KEY (insurer_number, household_number, seq)
);
