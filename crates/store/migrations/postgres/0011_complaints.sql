-- Citizens' complaints (网上监督) against a case or a department.
CREATE TABLE complaints (
    id                BIGSERIAL PRIMARY KEY,
    case_number       TEXT,
    department        TEXT NOT NULL,
    region            TEXT NOT NULL,
    complainant_user  BIGINT NOT NULL,
    text              TEXT NOT NULL,
    state             TEXT NOT NULL,
    received_at       BIGINT NOT NULL,
    accept_due        TEXT NOT NULL,
    reason            TEXT,
    answer            TEXT,
    signal_id         BIGINT,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX complaints_department ON complaints(department, state);
CREATE INDEX complaints_complainant ON complaints(complainant_user);
CREATE INDEX complaints_received ON complaints(received_at);
