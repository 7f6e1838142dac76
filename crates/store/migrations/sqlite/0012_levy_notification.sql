-- Notifications that change a member's levy (届出): 産前産後 (the due month
-- and whether more than one child), 非自発的失業 (the day after leaving the
-- job) and 旧被扶養者 (the day the status was acquired). A mistaken one is
-- voided (the flag is set, the row stays), never deleted. Keep in step with
-- postgres/0012_levy_notification.sql.
CREATE TABLE levy_notification (
    insurer_number TEXT NOT NULL,
    notification_id INTEGER NOT NULL,
    addressee_id TEXT NOT NULL,
    -- childbirth, involuntary_unemployment, former_dependent
    kind TEXT NOT NULL CHECK (kind IN ('childbirth', 'involuntary_unemployment', 'former_dependent')),
    -- childbirth: the first day of the due (or birth) month; the others: the day it applies from
    effective_on TEXT NOT NULL,
    multiple_birth INTEGER NOT NULL CHECK (multiple_birth IN (0, 1)),
    voided INTEGER NOT NULL CHECK (voided IN (0, 1)),
    recorded_us INTEGER NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (insurer_number, notification_id),
    FOREIGN KEY (insurer_number, addressee_id) REFERENCES addressee (insurer_number, addressee_id)
) STRICT;

CREATE INDEX levy_notification_by_person ON levy_notification (insurer_number, addressee_id);
