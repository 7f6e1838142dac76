-- Access control and the access log (アクセス記録). Keep in step with sqlite/0005_access.sql.

CREATE TABLE account (
    name TEXT PRIMARY KEY NOT NULL,
    insurer_number TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    totp_key_id BIGINT,
    totp_sealed BYTEA,
    disabled_us BIGINT,
    expires_on DATE,
    failed_attempts BIGINT NOT NULL,
    locked_until_us BIGINT,
    last_sign_in_us BIGINT,
    last_totp_step BIGINT,
    created_us BIGINT NOT NULL,
    demo BOOLEAN NOT NULL
);

CREATE TABLE account_grant (
    account_name TEXT NOT NULL REFERENCES account (name),
    permission TEXT NOT NULL,
    valid_from DATE NOT NULL,
    valid_until DATE NOT NULL,
    PRIMARY KEY (account_name, permission, valid_from)
);

CREATE TABLE training_record (
    account_name TEXT NOT NULL REFERENCES account (name),
    completed_on DATE NOT NULL,
    course TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (account_name, completed_on, course)
);

CREATE TABLE session (
    token_hash TEXT PRIMARY KEY NOT NULL,
    account_name TEXT NOT NULL REFERENCES account (name),
    csrf_token TEXT NOT NULL,
    created_us BIGINT NOT NULL,
    last_seen_us BIGINT NOT NULL,
    client TEXT NOT NULL,
    ended_us BIGINT
);

CREATE TABLE access_log (
    seq BIGINT PRIMARY KEY NOT NULL,
    at_us BIGINT NOT NULL,
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
);

CREATE INDEX access_log_by_account ON access_log (account_name, at_us);

CREATE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'access_log is append-only';
END;
$$;

CREATE TRIGGER access_log_no_update BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_append_only();

CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_append_only();

-- Privileges too: nobody is granted UPDATE, DELETE or TRUNCATE on the log.
REVOKE UPDATE, DELETE, TRUNCATE ON access_log FROM PUBLIC;

-- Incidents concerning specific personal information, for the threshold
-- assessment (重大事故の発生の有無) and the self-inspection.
CREATE TABLE incident (
    insurer_number TEXT NOT NULL,
    incident_id TEXT NOT NULL,
    occurred_on DATE NOT NULL,
    serious BOOLEAN NOT NULL,
    summary TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_us BIGINT NOT NULL,
    PRIMARY KEY (insurer_number, incident_id)
);

-- Settings an administrator changes (e.g. blocking handlers overdue for training).
CREATE TABLE setting (
    insurer_number TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    PRIMARY KEY (insurer_number, name)
);
