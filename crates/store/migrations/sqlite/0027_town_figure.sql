-- Figures a town sets itself by its ordinance (葬祭費's amount: 国民健康保険法
-- 第58条第1項 leaves it to the insurer), dated, with the ordinance they come
-- from. A later record for the same day replaces an earlier one; nothing is
-- deleted. Keep in step with the other backend's file.
CREATE TABLE town_figure (
    insurer_number TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('funeral_grant')),
    valid_from TEXT NOT NULL,
    amount INTEGER NOT NULL CHECK (amount > 0),
    -- the ordinance and article (条例・規則の名称と条)
    source TEXT NOT NULL,
    recorded_us INTEGER NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (insurer_number, kind, valid_from, recorded_us)
) STRICT;
