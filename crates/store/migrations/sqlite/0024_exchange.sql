-- Exchange with the prefecture federation (国保情報集約システム) and the
-- intermediate server: every file sent or received, and the persons the
-- federation reports as moved in from another municipality of the
-- prefecture with the town's judgement of their household's continuity
-- (世帯継続). Keep in step with the other backend's file.
CREATE TABLE exchange_file (
    insurer_number TEXT NOT NULL,
    file_id INTEGER NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('sent', 'received')),
    counterpart TEXT NOT NULL CHECK (counterpart IN ('federation', 'intermediate')),
    -- the layout's key (eligibility_person, high_cost_hand_over …)
    file_kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    extract TEXT NOT NULL CHECK (extract IN ('full', 'differential', 'answer')),
    -- a differential's lower bound, exclusive (transaction time, µs)
    since_us INTEGER,
    -- what the extract reflects: data as known at this time (µs)
    as_of_us INTEGER NOT NULL,
    record_count INTEGER NOT NULL CHECK (record_count >= 0),
    -- SHA-256 of the file's plain bytes, in hex
    sha256 TEXT NOT NULL,
    -- written sealed under the transfer key (it holds My Numbers)
    sealed INTEGER NOT NULL CHECK (sealed IN (0, 1)),
    purpose TEXT NOT NULL,
    -- what importing it did, or what was sent (one line, no personal data)
    outcome TEXT NOT NULL,
    recorded_us INTEGER NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (insurer_number, file_id)
) STRICT;

CREATE INDEX exchange_file_by_kind ON exchange_file (insurer_number, counterpart, direction, file_kind);
-- a file is taken in once
CREATE UNIQUE INDEX exchange_file_received_once ON exchange_file (insurer_number, sha256)
    WHERE direction = 'received';

CREATE TABLE continuity_notice (
    insurer_number TEXT NOT NULL,
    notice_id INTEGER NOT NULL,
    received_file_id INTEGER NOT NULL,
    addressee_id TEXT NOT NULL,
    household_number TEXT NOT NULL,
    insured_symbol TEXT NOT NULL,
    insured_number TEXT NOT NULL,
    branch_number TEXT NOT NULL,
    acquired_on TEXT NOT NULL,
    from_insurer TEXT NOT NULL,
    from_insured_symbol TEXT NOT NULL,
    from_insured_number TEXT NOT NULL,
    from_branch_number TEXT NOT NULL,
    from_lost_on TEXT NOT NULL,
    continuity TEXT NOT NULL CHECK (continuity IN ('continuous', 'gap', 'overlap')),
    household_candidate INTEGER NOT NULL CHECK (household_candidate IN (0, 1)),
    -- the town's judgement of the household (candidates only): NULL pending
    judgement TEXT CHECK (judgement IN ('continues', 'does_not')),
    judged_on TEXT,
    judged_us INTEGER,
    judged_by TEXT,
    -- the 世帯継続判定結果 file that carried the judgement
    sent_file_id INTEGER,
    recorded_us INTEGER NOT NULL,
    PRIMARY KEY (insurer_number, notice_id)
) STRICT;

CREATE INDEX continuity_notice_household ON continuity_notice (insurer_number, household_number);

-- The intermediate server's result for each period sent for online
-- eligibility: registered or refused (its code), and whether the 機関別符号
-- was obtained with the 個人番号.
CREATE TABLE online_registration (
    insurer_number TEXT NOT NULL,
    addressee_id TEXT NOT NULL,
    period_id INTEGER NOT NULL,
    result_file_id INTEGER NOT NULL,
    ok INTEGER NOT NULL CHECK (ok IN (0, 1)),
    error_code TEXT,
    agency_code_obtained INTEGER NOT NULL CHECK (agency_code_obtained IN (0, 1)),
    recorded_us INTEGER NOT NULL,
    PRIMARY KEY (insurer_number, addressee_id, period_id, result_file_id)
) STRICT;

CREATE INDEX eligibility_recorded ON eligibility_version (insurer_number, recorded_us);

-- Provision copies (副本) for information linkage: what the town provides
-- of a person (by 団体内統合宛名番号), refreshed from eligibility as it
-- changes; queries are answered from here, for lawful items only.
CREATE TABLE linkage_replica (
    insurer_number TEXT NOT NULL,
    integrated_addressee_id TEXT NOT NULL,
    addressee_id TEXT NOT NULL,
    -- JSON: the eligibility periods
    content TEXT NOT NULL,
    refreshed_us INTEGER NOT NULL,
    PRIMARY KEY (insurer_number, integrated_addressee_id)
) STRICT;
