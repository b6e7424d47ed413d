-- Fees charged on a case, and a penalty case's decided measure (SQLite).
CREATE TABLE case_charges (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    case_number  TEXT NOT NULL,
    name         TEXT NOT NULL,
    amount_fen   INTEGER NOT NULL,
    charged_at   INTEGER NOT NULL
);
CREATE INDEX case_charges_case ON case_charges(case_number);
ALTER TABLE cases ADD COLUMN penalty TEXT;
