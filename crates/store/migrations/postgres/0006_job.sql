-- Imports and batches (取込・一括処理) as the jobs page shows them.
-- Keep in step with sqlite/0006_job.sql.
-- Progress while a job runs lives in the running process (a SQLite import
-- holds the write lock); the row records the start and the outcome.
CREATE TABLE job (
    insurer_number TEXT NOT NULL,
    job_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    -- a file name or a date: never personal data
    subject TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted')),
    started_by TEXT NOT NULL,
    started_us BIGINT NOT NULL,
    finished_us BIGINT,
    done_count BIGINT NOT NULL,
    total_count BIGINT NOT NULL,
    -- how it ended, in English (logs, CLI) and in Japanese (the screens)
    summary TEXT,
    summary_ja TEXT,
    -- CSV (UTF-8) of what was wrong, for a failed job
    error_report TEXT,
    -- host and process that ran it, so a restarted server can mark its dead jobs
    runner TEXT NOT NULL,
    PRIMARY KEY (insurer_number, job_id)
);

CREATE INDEX job_by_start ON job (insurer_number, started_us);
