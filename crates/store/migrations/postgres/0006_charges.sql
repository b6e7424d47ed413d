-- Fees charged on a case, and a penalty case's decided measure (PostgreSQL).
CREATE TABLE case_charges (
    id           BIGSERIAL PRIMARY KEY,
    case_number  TEXT NOT NULL,
    name         TEXT NOT NULL,
    amount_fen   BIGINT NOT NULL,
    charged_at   BIGINT NOT NULL
);
CREATE INDEX case_charges_case ON case_charges(case_number);
ALTER TABLE cases ADD COLUMN penalty TEXT;
