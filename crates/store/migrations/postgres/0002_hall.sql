-- The online government hall: cases and their numbering (PostgreSQL).
CREATE TABLE case_sequences (
    region  TEXT NOT NULL,
    year    BIGINT NOT NULL,
    last    BIGINT NOT NULL,
    PRIMARY KEY (region, year)
);

CREATE TABLE cases (
    id                BIGSERIAL PRIMARY KEY,
    number            TEXT COLLATE "C" NOT NULL UNIQUE,
    query_code        TEXT NOT NULL,
    item_id           BIGINT NOT NULL REFERENCES power_items(id),
    version_id        BIGINT NOT NULL REFERENCES item_versions(id),
    department        TEXT NOT NULL,
    region            TEXT NOT NULL,
    applicant_user    BIGINT REFERENCES users(id),
    applicant         TEXT NOT NULL,
    applicant_public  TEXT NOT NULL,
    channel           TEXT NOT NULL,
    answers           TEXT NOT NULL,
    facts             TEXT NOT NULL,
    state             TEXT NOT NULL,
    clock             TEXT,
    promised_due      TEXT,
    legal_due         TEXT,
    submitted_at      BIGINT NOT NULL,
    accepted_at       BIGINT,
    decided_at        BIGINT,
    completed_at      BIGINT,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX cases_department ON cases(department, state);
CREATE INDEX cases_applicant ON cases(applicant_user);
