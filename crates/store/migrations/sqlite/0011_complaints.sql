-- Citizens' complaints (网上监督) against a case or a department.
CREATE TABLE complaints (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    case_number       TEXT,
    department        TEXT NOT NULL,
    region            TEXT NOT NULL,
    complainant_user  INTEGER NOT NULL,
    text              TEXT NOT NULL,
    state             TEXT NOT NULL,
    received_at       INTEGER NOT NULL,
    accept_due        TEXT NOT NULL,
    reason            TEXT,
    answer            TEXT,
    signal_id         INTEGER,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX complaints_department ON complaints(department, state);
CREATE INDEX complaints_complainant ON complaints(complainant_user);
CREATE INDEX complaints_received ON complaints(received_at);
