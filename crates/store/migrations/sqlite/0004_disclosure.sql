-- Sunshine disclosure: the public board's own projection of the hall's
-- cases, built from the journal by the disclosure consumer (SQLite).
CREATE TABLE disclosure_cases (
    number            TEXT PRIMARY KEY,
    item_id           INTEGER NOT NULL,
    item_name         TEXT NOT NULL,
    department        TEXT NOT NULL,
    region            TEXT NOT NULL,
    applicant_public  TEXT NOT NULL,
    channel           TEXT NOT NULL,
    state             TEXT NOT NULL,
    submitted_at      INTEGER NOT NULL,
    accepted_at       INTEGER,
    promised_due      TEXT,
    completed_at      INTEGER,
    completed_on      TEXT,
    seq               INTEGER NOT NULL
);
CREATE INDEX disclosure_department ON disclosure_cases(department, state);
CREATE INDEX disclosure_region ON disclosure_cases(region, state);
CREATE INDEX disclosure_seq ON disclosure_cases(seq);
