-- A claim's meals (HO 食事療養・生活療養 回数 and 合計金額), for the
-- statistics of 食事療養. Claims imported before carry 0. Keep in step with
-- the other backend's file.
ALTER TABLE claim ADD COLUMN meal_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE claim ADD COLUMN meal_amount BIGINT NOT NULL DEFAULT 0;
