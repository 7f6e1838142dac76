-- Months of the annual outpatient cap (外来年間合算) a person spent with
-- another insurer, as that insurer's 自己負担額証明書 states them: entered
-- by a clerk when the person brings the certificate, and added by the
-- yearly run to this insurer's months. A mistaken entry is voided, never
-- deleted. Keep in step with the other backend's file.
CREATE TABLE other_insurer_month (
    insurer_number TEXT NOT NULL,
    entry_id INTEGER NOT NULL,
    addressee_id TEXT NOT NULL,
    -- the year of the August the period starts with
    year INTEGER NOT NULL,
    -- YYYY-MM, within the year
    month TEXT NOT NULL,
    -- the certificate's insurer (保険者番号, 6 or 8 digits)
    other_insurer TEXT NOT NULL,
    -- the certificate's own reference (番号, 交付日)
    certificate TEXT NOT NULL,
    -- the 70–74 category the certificate gives for the month (一般, 低所得Ⅱ …)
    category_70_74 TEXT,
    -- the outpatient copays, and what was left after that month's benefit
    outpatient INTEGER NOT NULL CHECK (outpatient >= 0),
    outpatient_left INTEGER NOT NULL CHECK (outpatient_left >= 0 AND outpatient_left <= outpatient),
    recorded_us INTEGER NOT NULL,
    recorded_by TEXT NOT NULL,
    voided_us INTEGER,
    voided_by TEXT,
    PRIMARY KEY (insurer_number, entry_id)
) STRICT;

CREATE INDEX other_insurer_month_person ON other_insurer_month (insurer_number, addressee_id, year);
-- one live entry per person, month and certifying insurer
CREATE UNIQUE INDEX other_insurer_month_once ON other_insurer_month (insurer_number, addressee_id, month, other_insurer)
    WHERE voided_us IS NULL;
