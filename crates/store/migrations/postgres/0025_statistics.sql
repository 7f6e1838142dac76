-- Statistics (事業月報・事業年報): when a report's period was closed. A
-- closed report is produced again as known at its closing, so later
-- retroactive changes leave it as it was sent. Keep in step with the other
-- backend's file.
CREATE TABLE statistics_closing (
    insurer_number TEXT NOT NULL,
    -- monthly | yearly
    report TEXT NOT NULL CHECK (report IN ('monthly', 'yearly')),
    -- YYYY-MM for a month, YYYY (the fiscal year) for a year
    period TEXT NOT NULL,
    closed_us BIGINT NOT NULL,
    closed_by TEXT NOT NULL,
    -- SHA-256 of the figures as closed (the report's JSON), in hex
    figures_sha256 TEXT NOT NULL,
    PRIMARY KEY (insurer_number, report, period)
);
