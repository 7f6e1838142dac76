-- 基準収入額適用 applications (国民健康保険法施行令 第27条の2; on application,
-- a 現役並み household whose 70–74 members' revenue is under the threshold
-- is treated as 一般 from the month it takes effect). Append-only. Keep in step with sqlite/0010_application.sql.
CREATE TABLE standard_income_application (
    insurer_number TEXT NOT NULL,
    household_number TEXT NOT NULL,
    -- YYYY-MM: the first month it applies to
    from_month TEXT NOT NULL,
    recorded_us BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (insurer_number, household_number, from_month)
);
