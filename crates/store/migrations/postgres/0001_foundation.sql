-- kokuho foundation schema (PostgreSQL). Keep in step with migrations/sqlite/0001_foundation.sql:
-- the same tables and columns, checked by a test.
-- Every row of personal or business data carries its insurer (保険者番号).

CREATE TABLE insurer (
    insurer_number TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    prefecture TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE household (
    insurer_number TEXT NOT NULL REFERENCES insurer (insurer_number),
    household_number TEXT NOT NULL,
    householder_addressee_id TEXT NOT NULL,
    postal_code TEXT NOT NULL,
    address TEXT NOT NULL,
    registered_on DATE NOT NULL,
    removed_on DATE,
    PRIMARY KEY (insurer_number, household_number)
);

CREATE TABLE addressee (
    insurer_number TEXT NOT NULL REFERENCES insurer (insurer_number),
    addressee_id TEXT NOT NULL,
    integrated_addressee_id TEXT NOT NULL,
    name TEXT NOT NULL,
    name_kana TEXT NOT NULL,
    -- binary collation so ORDER BY matches SQLite on both backends
    kana_key TEXT COLLATE "C" NOT NULL,
    birth_date DATE NOT NULL,
    sex SMALLINT NOT NULL CHECK (sex IN (1, 2, 9)),
    postal_code TEXT NOT NULL,
    address TEXT NOT NULL,
    resident_status TEXT NOT NULL CHECK (resident_status IN ('resident', 'non_resident')),
    household_number TEXT NOT NULL,
    relationship TEXT NOT NULL,
    registered_on DATE NOT NULL,
    removed_on DATE,
    PRIMARY KEY (insurer_number, addressee_id),
    UNIQUE (insurer_number, integrated_addressee_id),
    FOREIGN KEY (insurer_number, household_number) REFERENCES household (insurer_number, household_number)
);

CREATE INDEX addressee_by_kana ON addressee (insurer_number, kana_key);
CREATE INDEX addressee_by_birth_date ON addressee (insurer_number, birth_date);
CREATE INDEX addressee_by_household ON addressee (insurer_number, household_number);

-- The My Number vault: the only table that holds a 個人番号, and only sealed.
CREATE TABLE my_number_vault (
    insurer_number TEXT NOT NULL,
    integrated_addressee_id TEXT NOT NULL,
    key_id BIGINT NOT NULL,
    sealed BYTEA NOT NULL,
    lookup_key_id BIGINT NOT NULL,
    lookup_hash BYTEA NOT NULL,
    registered_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (insurer_number, integrated_addressee_id),
    UNIQUE (insurer_number, lookup_hash),
    FOREIGN KEY (insurer_number, integrated_addressee_id)
        REFERENCES addressee (insurer_number, integrated_addressee_id)
);

CREATE INDEX my_number_vault_by_key ON my_number_vault (key_id);
