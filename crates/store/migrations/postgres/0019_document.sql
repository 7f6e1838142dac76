-- Printed documents (帳票): every document issued, with the values it was
-- drawn from so a reprint is exact, and the batches that issue them to many
-- residents at once (resumable: each planned recipient is issued once).
-- Keep in step with the other backend's 0019_document.sql.

CREATE TABLE document_issue (
    insurer_number TEXT NOT NULL,
    issue_id BIGINT NOT NULL,
    -- eligibility-certificate, eligibility-notice, limit-certificate, benefit-decision, …
    kind TEXT NOT NULL,
    -- the number printed on the document (kind's prefix, fiscal year, sequence)
    document_number TEXT NOT NULL,
    -- the resident the document is about (宛名番号)
    addressee_id TEXT NOT NULL,
    valid_from DATE,
    valid_to DATE,
    issued_on DATE NOT NULL,
    issued_us BIGINT NOT NULL,
    issued_by TEXT NOT NULL,
    -- a reprint names the issue it reprints (再交付); NULL for a first issue
    reprint_of BIGINT,
    -- the batch that issued it, if any
    batch_id BIGINT,
    layout_version INTEGER NOT NULL,
    -- the values drawn (JSON): a reprint draws exactly these again
    content TEXT NOT NULL,
    -- SHA-256 of the PDF bytes of the first print
    sha256 TEXT NOT NULL,
    -- characters drawn as 〓 because the font lacks them ("U+20BB7 name; …")
    substitutions TEXT NOT NULL,
    -- issued | returned (返戻) | lost (紛失届) | voided (誤交付の取消)
    status TEXT NOT NULL CHECK (status IN ('issued', 'returned', 'lost', 'voided')),
    status_note TEXT,
    status_us BIGINT,
    status_by TEXT,
    PRIMARY KEY (insurer_number, issue_id)
);

CREATE UNIQUE INDEX document_issue_number ON document_issue (insurer_number, document_number);
CREATE INDEX document_issue_person ON document_issue (insurer_number, addressee_id, kind);
-- A batch issues a recipient's document once, however often it is resumed.
CREATE UNIQUE INDEX document_issue_batch_once ON document_issue (insurer_number, batch_id, addressee_id)
    WHERE batch_id IS NOT NULL AND reprint_of IS NULL;

CREATE TABLE document_batch (
    insurer_number TEXT NOT NULL,
    batch_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    -- the day the recipients were chosen on (insured that day)
    as_of DATE NOT NULL,
    issued_on DATE NOT NULL,
    valid_to DATE,
    -- the fiscal year of a levy notice batch (納税通知書)
    fiscal_year BIGINT,
    planned BIGINT NOT NULL,
    -- running | done
    status TEXT NOT NULL CHECK (status IN ('running', 'done')),
    created_us BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    finished_us BIGINT,
    PRIMARY KEY (insurer_number, batch_id)
);

-- One running batch of a kind at a time: two started at once would plan the
-- same residents.
CREATE UNIQUE INDEX document_batch_one_running ON document_batch (insurer_number, kind)
    WHERE status = 'running';

-- The recipients of a batch in delivery order (postal code, address),
-- fixed when the batch starts.
CREATE TABLE document_batch_item (
    insurer_number TEXT NOT NULL,
    batch_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    addressee_id TEXT NOT NULL,
    -- the household, for a levy notice (addressed to its householder)
    household_number TEXT,
    -- why the recipient was not printed (lost eligibility since the plan, …)
    skipped_reason TEXT,
    issue_id BIGINT,
    PRIMARY KEY (insurer_number, batch_id, seq)
);

CREATE UNIQUE INDEX document_batch_item_once ON document_batch_item (insurer_number, batch_id, addressee_id);
