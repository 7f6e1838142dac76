-- Indexes for the counter's searches on a city of a million residents.
-- Keep in step with postgres/0007_search.sql.

-- (A birth date already has its index; the search orders by an expression
-- so that the planner uses it rather than walking the kana index.)
-- The beginning of a name (a binary range, like the kana key).
CREATE INDEX addressee_by_name ON addressee (insurer_number, name);
