-- The online government hall: cases and their numbering (SQLite).
CREATE TABLE case_sequences (
    region  TEXT NOT NULL,
    year    INTEGER NOT NULL,
    last    INTEGER NOT NULL,
    PRIMARY KEY (region, year)
);

CREATE TABLE cases (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    number            TEXT NOT NULL UNIQUE,
    query_code        TEXT NOT NULL,
    item_id           INTEGER NOT NULL REFERENCES power_items(id),
    version_id        INTEGER NOT NULL REFERENCES item_versions(id),
    department        TEXT NOT NULL,
    region            TEXT NOT NULL,
    applicant_user    INTEGER REFERENCES users(id),
    applicant         TEXT NOT NULL,
    applicant_public  TEXT NOT NULL,
    channel           TEXT NOT NULL,
    answers           TEXT NOT NULL,
    facts             TEXT NOT NULL,
    state             TEXT NOT NULL,
    clock             TEXT,
    promised_due      TEXT,
    legal_due         TEXT,
    submitted_at      INTEGER NOT NULL,
    accepted_at       INTEGER,
    decided_at        INTEGER,
    completed_at      INTEGER,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX cases_department ON cases(department, state);
CREATE INDEX cases_applicant ON cases(applicant_user);
