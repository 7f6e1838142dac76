-- Eligibility (国保資格ファイル), bitemporal. Keep in step with postgres/0002_eligibility.sql.
-- Valid time: [acquired_on, lost_on) and [valid_from, valid_to) as calendar dates, NULL = open.
-- Transaction time: recorded_us (microseconds since the Unix epoch, UTC) and superseded_us:
-- a version is what was known from recorded_us until superseded_us. Rows are never deleted;
-- a correction adds a version and closes the old one's transaction time.

CREATE TABLE eligibility_version (
    insurer_number TEXT NOT NULL,
    period_id INTEGER NOT NULL,
    version_no INTEGER NOT NULL,
    addressee_id TEXT NOT NULL,
    acquired_on TEXT NOT NULL,
    acquisition_reason TEXT NOT NULL,
    acquisition_event_on TEXT NOT NULL,
    acquisition_notified_on TEXT,
    acquisition_late INTEGER NOT NULL CHECK (acquisition_late IN (0, 1)),
    lost_on TEXT,
    loss_reason TEXT,
    loss_event_on TEXT,
    loss_notified_on TEXT,
    loss_late INTEGER NOT NULL CHECK (loss_late IN (0, 1)),
    previous_insurer_number TEXT,
    next_insurer_number TEXT,
    address_exception INTEGER NOT NULL CHECK (address_exception IN (0, 1)),
    student_exception INTEGER NOT NULL CHECK (student_exception IN (0, 1)),
    foreign_stay_until TEXT,
    voided INTEGER NOT NULL CHECK (voided IN (0, 1)),
    change_kind TEXT NOT NULL,
    change_note TEXT NOT NULL,
    recorded_us INTEGER NOT NULL,
    recorded_by TEXT NOT NULL,
    superseded_us INTEGER,
    PRIMARY KEY (insurer_number, period_id, version_no),
    FOREIGN KEY (insurer_number, addressee_id) REFERENCES addressee (insurer_number, addressee_id),
    CHECK (lost_on IS NULL OR lost_on > acquired_on),
    CHECK ((lost_on IS NULL) = (loss_reason IS NULL))
) STRICT;

CREATE INDEX eligibility_by_person ON eligibility_version (insurer_number, addressee_id);
CREATE INDEX eligibility_current ON eligibility_version (insurer_number, acquired_on) WHERE superseded_us IS NULL;

-- In which NHI household (by resident-registry household number) a person is, over time.
CREATE TABLE membership_version (
    insurer_number TEXT NOT NULL,
    membership_id INTEGER NOT NULL,
    version_no INTEGER NOT NULL,
    addressee_id TEXT NOT NULL,
    household_number TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT,
    reason TEXT NOT NULL,
    voided INTEGER NOT NULL CHECK (voided IN (0, 1)),
    recorded_us INTEGER NOT NULL,
    recorded_by TEXT NOT NULL,
    superseded_us INTEGER,
    PRIMARY KEY (insurer_number, membership_id, version_no),
    FOREIGN KEY (insurer_number, addressee_id) REFERENCES addressee (insurer_number, addressee_id),
    CHECK (valid_to IS NULL OR valid_to > valid_from)
) STRICT;

CREATE INDEX membership_by_person ON membership_version (insurer_number, addressee_id);
CREATE INDEX membership_by_household ON membership_version (insurer_number, household_number);

-- 被保険者記号・番号 of each NHI household, assigned once and kept.
CREATE TABLE nhi_household (
    insurer_number TEXT NOT NULL,
    household_number TEXT NOT NULL,
    insured_symbol TEXT NOT NULL,
    insured_number TEXT NOT NULL,
    assigned_us INTEGER NOT NULL,
    PRIMARY KEY (insurer_number, household_number),
    UNIQUE (insurer_number, insured_symbol, insured_number)
) STRICT;

-- 枝番: stable for a person within a household, never reused there for someone else.
CREATE TABLE branch_assignment (
    insurer_number TEXT NOT NULL,
    household_number TEXT NOT NULL,
    addressee_id TEXT NOT NULL,
    branch_number TEXT NOT NULL,
    PRIMARY KEY (insurer_number, household_number, addressee_id),
    UNIQUE (insurer_number, household_number, branch_number)
) STRICT;

-- The town's rule for 被保険者記号・番号 (configurable per insurer).
CREATE TABLE numbering_rule (
    insurer_number TEXT PRIMARY KEY NOT NULL,
    insured_symbol TEXT NOT NULL,
    number_digits INTEGER NOT NULL CHECK (number_digits BETWEEN 1 AND 8),
    next_number INTEGER NOT NULL
) STRICT;
