-- Indexes for the counter's searches on a city of a million residents.
-- Keep in step with sqlite/0007_search.sql.

-- (A birth date already has its index; the search orders by an expression
-- so that the planner uses it rather than walking the kana index.)
-- The beginning of a name: a byte-ordered range, as in SQLite (the column
-- is compared as bytes, like kana_key, so the same SQL uses the index).
ALTER TABLE addressee ALTER COLUMN name TYPE TEXT COLLATE "C";
CREATE INDEX addressee_by_name ON addressee (insurer_number, name);
