-- 支給額計算結果連絡票 received: the base-date insurer of a person's year
-- (the one insured with on 31 July) computed 高額療養費（外来年間合算） or
-- 高額介護合算療養費 from this insurer's 自己負担額証明書 and sends the share
-- this insurer is to pay for the months the person spent here. A clerk
-- enters it; the person then applies here and is paid that share. One live
-- notice per person, kind and year; a corrected notice replaces a voided
-- one, never deleted. Keep in step with the other backend's file.
CREATE TABLE share_notice (
    insurer_number TEXT NOT NULL,
    notice_id BIGINT NOT NULL,
    addressee_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('annual_outpatient', 'combined_care')),
    -- the year of the August the period starts with
    year BIGINT NOT NULL,
    -- the insurer that computed the year (保険者番号), never this one
    issuer TEXT NOT NULL,
    -- the notice's own reference (番号); never a My Number
    reference TEXT NOT NULL,
    notified_on DATE NOT NULL,
    -- the year's base date as the notice gives it
    base_date DATE NOT NULL,
    -- this insurer's share (按分額)
    amount BIGINT NOT NULL CHECK (amount > 0),
    recorded_us BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    voided_us BIGINT,
    voided_by TEXT,
    PRIMARY KEY (insurer_number, notice_id)
);

CREATE INDEX share_notice_person ON share_notice (insurer_number, addressee_id, year);
CREATE UNIQUE INDEX share_notice_once ON share_notice (insurer_number, addressee_id, kind, year)
    WHERE voided_us IS NULL;
