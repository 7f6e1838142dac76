-- Access control and the access log (アクセス記録). Keep in step with postgres/0005_access.sql.

-- Staff accounts: disabled, never deleted.
CREATE TABLE account (
    name TEXT PRIMARY KEY NOT NULL,
    insurer_number TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    totp_key_id INTEGER,
    totp_sealed BLOB,
    disabled_us INTEGER,
    expires_on TEXT,
    failed_attempts INTEGER NOT NULL,
    locked_until_us INTEGER,
    last_sign_in_us INTEGER,
    last_totp_step INTEGER,
    created_us INTEGER NOT NULL,
    demo INTEGER NOT NULL CHECK (demo IN (0, 1))
) STRICT;

-- Dated grants of single permissions to contractor accounts.
CREATE TABLE account_grant (
    account_name TEXT NOT NULL REFERENCES account (name),
    permission TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    PRIMARY KEY (account_name, permission, valid_from)
) STRICT;

-- When each handler last completed training (教育・啓発).
CREATE TABLE training_record (
    account_name TEXT NOT NULL REFERENCES account (name),
    completed_on TEXT NOT NULL,
    course TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (account_name, completed_on, course)
) STRICT;

-- Web sessions: only a hash of the session token is stored.
CREATE TABLE session (
    token_hash TEXT PRIMARY KEY NOT NULL,
    account_name TEXT NOT NULL REFERENCES account (name),
    csrf_token TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    last_seen_us INTEGER NOT NULL,
    client TEXT NOT NULL,
    ended_us INTEGER
) STRICT;

-- The access log: append-only and hash-chained. Each record's hash is
-- SHA-256 over the previous record's hash and this record's fields.
CREATE TABLE access_log (
    seq INTEGER PRIMARY KEY NOT NULL,
    at_us INTEGER NOT NULL,
    insurer_number TEXT NOT NULL,
    account_name TEXT NOT NULL,
    role TEXT NOT NULL,
    os_user TEXT NOT NULL,
    client TEXT NOT NULL,
    action TEXT NOT NULL,
    subjects TEXT NOT NULL,
    purpose TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('allowed', 'denied')),
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
) STRICT;

CREATE INDEX access_log_by_account ON access_log (account_name, at_us);

CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'access_log is append-only');
END;

CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
BEGIN
    SELECT RAISE(ABORT, 'access_log is append-only');
END;

-- Incidents concerning specific personal information, for the threshold
-- assessment (重大事故の発生の有無) and the self-inspection.
CREATE TABLE incident (
    insurer_number TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    occurred_on TEXT NOT NULL,
    serious INTEGER NOT NULL CHECK (serious IN (0, 1)),
    summary TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_us INTEGER NOT NULL,
    PRIMARY KEY (insurer_number, incident_id)
) STRICT;

-- Settings an administrator changes (e.g. blocking handlers overdue for training).
CREATE TABLE setting (
    insurer_number TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    PRIMARY KEY (insurer_number, name)
) STRICT;
