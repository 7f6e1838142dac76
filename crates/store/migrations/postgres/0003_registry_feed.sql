-- Resident-registry feed (住基異動) imports and the eligibility proposals they raise.
-- Keep in step with sqlite/0003_registry_feed.sql.

-- Every imported file, by content digest: the same file twice is imported once.
CREATE TABLE import_file (
    insurer_number TEXT NOT NULL,
    kind TEXT NOT NULL,
    digest TEXT NOT NULL,
    file_name TEXT NOT NULL,
    row_count BIGINT NOT NULL,
    imported_us BIGINT NOT NULL,
    imported_by TEXT NOT NULL,
    PRIMARY KEY (insurer_number, kind, digest)
);

CREATE TABLE registry_event (
    insurer_number TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    event_date DATE NOT NULL,
    notified_on DATE,
    addressee_id TEXT NOT NULL,
    file_digest TEXT NOT NULL,
    line BIGINT NOT NULL,
    PRIMARY KEY (insurer_number, event_id)
);

-- What the feed suggests for eligibility; nothing becomes eligibility until a clerk confirms.
CREATE TABLE eligibility_proposal (
    insurer_number TEXT NOT NULL,
    proposal_id BIGINT NOT NULL,
    event_id TEXT NOT NULL,
    addressee_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('acquisition', 'loss', 'household_change')),
    reason TEXT NOT NULL,
    event_on DATE NOT NULL,
    notified_on DATE,
    destination TEXT,
    household_number TEXT,
    previous_insurer_number TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'rejected')),
    created_us BIGINT NOT NULL,
    decided_by TEXT,
    decided_us BIGINT,
    decision_note TEXT,
    period_id BIGINT,
    PRIMARY KEY (insurer_number, proposal_id)
);

CREATE INDEX eligibility_proposal_by_status ON eligibility_proposal (insurer_number, status);
