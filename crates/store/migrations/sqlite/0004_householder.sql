-- Who is the householder (世帯主) of a resident-registry household, over time.
-- Keep in step with postgres/0004_householder.sql. Append-only: a correction
-- is a new row with the same valid_from, recorded later.
CREATE TABLE householder_history (
    insurer_number TEXT NOT NULL,
    household_number TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    recorded_us INTEGER NOT NULL,
    householder_addressee_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (insurer_number, household_number, valid_from, recorded_us),
    FOREIGN KEY (insurer_number, household_number) REFERENCES household (insurer_number, household_number)
) STRICT;
