-- 特定疾病の認定 (高額長期疾病): a person certified for one of the three
-- diseases whose monthly copay is held to 10,000 yen (20,000 for dialysis
-- under 70 in a high-income household), and for whom the town issues the
-- 特定疾病療養受療証. Keep in step with the other backend's file.
CREATE TABLE specified_disease (
    insurer_number TEXT NOT NULL,
    certification_id BIGINT NOT NULL,
    addressee_id TEXT NOT NULL,
    -- dialysis | hemophilia | hiv
    disease TEXT NOT NULL CHECK (disease IN ('dialysis', 'hemophilia', 'hiv')),
    -- the day the doctor's statement certifies (認定年月日)
    certified_on DATE NOT NULL,
    -- the first day of the month applied in (発効期日)
    valid_from DATE NOT NULL,
    -- the monthly limit per provider, from the dated high-cost table
    limit_yen BIGINT NOT NULL CHECK (limit_yen > 0),
    recorded_us BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    -- the certification ended (cured, lost eligibility); NULL while in force
    ended_on DATE,
    PRIMARY KEY (insurer_number, certification_id)
);

CREATE INDEX specified_disease_person ON specified_disease (insurer_number, addressee_id);
-- one certification in force per person and disease
CREATE UNIQUE INDEX specified_disease_once ON specified_disease (insurer_number, addressee_id, disease)
    WHERE ended_on IS NULL;
