-- 資格継続引継情報 now says what the town judges a household's continuity
-- by (世帯主に着目した参酌基準): whether the person was the householder of
-- the household they left, whether that household's householder was not
-- NHI-insured (擬制世帯主), and how many were insured in it on its last day
-- with them. Notices received before carry 0 (not known): no proposal.
-- Keep in step with the other backend's file.
ALTER TABLE continuity_notice ADD COLUMN from_householder INTEGER NOT NULL DEFAULT 0 CHECK (from_householder IN (0, 1));
ALTER TABLE continuity_notice ADD COLUMN from_nominal_householder INTEGER NOT NULL DEFAULT 0 CHECK (from_nominal_householder IN (0, 1));
ALTER TABLE continuity_notice ADD COLUMN from_household_insured INTEGER NOT NULL DEFAULT 0;
