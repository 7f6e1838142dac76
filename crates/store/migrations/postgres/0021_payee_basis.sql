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
-- Keep in step with the other backend's file.
ALTER TABLE benefit_application ADD COLUMN payee_basis TEXT NOT NULL DEFAULT 'entitled'
    CHECK (payee_basis IN ('entitled', 'heir', 'proxy'));
ALTER TABLE benefit_application ADD COLUMN entitled_id TEXT;
UPDATE benefit_application SET entitled_id = payee_id WHERE entitled_id IS NULL;
ALTER TABLE benefit_application DROP CONSTRAINT benefit_application_kind_check;
ALTER TABLE benefit_application ADD CONSTRAINT benefit_application_kind_check
    CHECK (kind IN ('high_cost_benefit', 'annual_outpatient', 'reimbursement', 'childbirth_grant',
        'funeral_grant', 'transport_benefit', 'meal_difference'));
ALTER TABLE benefit_application DROP CONSTRAINT benefit_application_decision_check;
ALTER TABLE benefit_application ADD CONSTRAINT benefit_application_decision_check
    CHECK (decision IN ('pay', 'refuse', 'revoked'));
ALTER TABLE benefit_application ADD COLUMN revoked_on DATE;
ALTER TABLE benefit_application ADD COLUMN revoked_us BIGINT;
ALTER TABLE benefit_application ADD COLUMN revoked_by TEXT;
ALTER TABLE benefit_application ADD COLUMN revoke_reason TEXT;
