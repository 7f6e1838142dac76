-- Recoveries (返納金): a benefit paid, then decided lower by a later run
-- (a late or returned claim), leaves the payee owing the difference
-- (民法 第703条). Each assessment is for what is owed beyond earlier
-- recoveries of the same event; it is repaid, or cancelled with a note
-- when assessed in error. Keep in step with the other backend's file.
CREATE TABLE benefit_recovery (
    insurer_number TEXT NOT NULL,
    recovery_id INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('high_cost_benefit', 'annual_outpatient')),
    -- the event: the household and service month (高額療養費), or the
    -- person and the year of its August (外来年間合算)
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

CREATE INDEX benefit_recovery_event ON benefit_recovery (insurer_number, kind, subject, period);
CREATE INDEX benefit_recovery_debtor ON benefit_recovery (insurer_number, debtor_id);

-- A payment run holds back benefits whose payee has died since the
-- decision (the heir applies instead), and counts them.
ALTER TABLE payment_run ADD COLUMN payee_died INTEGER NOT NULL DEFAULT 0;
-- A person's deaths in the resident-registry feed, read at the counter and
-- by every payment run.
CREATE INDEX registry_event_person ON registry_event (insurer_number, addressee_id, event_type);
