-- The bank accounts benefits are paid into (口座): the resident's registered
-- 公金受取口座 or an account given on an application. Personal data: every
-- read and write is access-logged, screens mask the number. A change ends
-- the current account of the same person and source and records a new one;
-- nothing is deleted. Keep in step with postgres/0017_bank_account.sql.
CREATE TABLE bank_account (
    insurer_number TEXT NOT NULL,
    account_id INTEGER NOT NULL,
    addressee_id TEXT NOT NULL,
    -- public_funds (公金受取口座) | application (申請書の口座)
    source TEXT NOT NULL CHECK (source IN ('public_funds', 'application')),
    bank_code TEXT NOT NULL CHECK (length(bank_code) = 4),
    branch_code TEXT NOT NULL CHECK (length(branch_code) = 3),
    -- 預金種目: 1 普通, 2 当座, 4 貯蓄, 9 その他
    account_type TEXT NOT NULL CHECK (account_type IN ('1', '2', '4', '9')),
    -- zero-filled to 7 digits
    number TEXT NOT NULL CHECK (length(number) = 7),
    -- the holder's name as given, and as the transfer file carries it
    holder TEXT NOT NULL,
    holder_transfer TEXT NOT NULL,
    -- when the account was confirmed (the 公金受取口座 as looked up, or
    -- the application's date)
    confirmed_on TEXT NOT NULL,
    recorded_us INTEGER NOT NULL,
    recorded_by TEXT NOT NULL,
    ended_us INTEGER,
    ended_by TEXT,
    PRIMARY KEY (insurer_number, account_id)
) STRICT;

CREATE INDEX bank_account_by_person ON bank_account (insurer_number, addressee_id);
