-- 实名核验: an account created online says which identity number (or credit
-- code) it is, in `claimed_id`; `id_number` / `credit_code` hold the number
-- only once the account is bound to it, by a counter's one-time code or by
-- the citizen card and its PIN, so one number has at most one bound account
-- and any number of unbound ones, and sign-up tells nobody which numbers
-- have accounts. Accounts made before this were never verified.
ALTER TABLE users ADD COLUMN claimed_id TEXT;
ALTER TABLE users ADD COLUMN verified_at INTEGER;
ALTER TABLE users ADD COLUMN verified_by TEXT;
ALTER TABLE users ADD COLUMN closed_at INTEGER;
ALTER TABLE users ADD COLUMN legal_rep_name TEXT;
ALTER TABLE users ADD COLUMN legal_rep_id TEXT;
UPDATE users SET claimed_id = COALESCE(id_number, credit_code) WHERE kind IN ('citizen', 'enterprise');
UPDATE users SET id_number = NULL, credit_code = NULL WHERE kind IN ('citizen', 'enterprise');
CREATE INDEX users_claimed_id ON users(claimed_id);

-- One-time codes a counter clerk issues after checking a person's papers;
-- only their hash is kept.
CREATE TABLE binding_codes (
    code_hash       TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    subject         TEXT NOT NULL,
    name            TEXT NOT NULL,
    legal_rep_name  TEXT,
    legal_rep_id    TEXT,
    counter         TEXT NOT NULL REFERENCES organisations(code),
    issued_by       INTEGER NOT NULL REFERENCES users(id),
    issued_at       INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    used_at         INTEGER,
    used_by         INTEGER REFERENCES users(id)
);
CREATE INDEX binding_codes_subject ON binding_codes(subject);

-- A citizen card's PIN, set at the counter, kept as its argon2 hash; wrong
-- PINs in a row lock it until the counter sets a new one.
CREATE TABLE card_pins (
    card        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    pin_hash    TEXT NOT NULL,
    set_at      INTEGER NOT NULL,
    failures    INTEGER NOT NULL DEFAULT 0
);

-- The identity number or credit code a case was registered to, so that a
-- bound account finds the cases a counter registered for it (and an
-- unbound one never does).
ALTER TABLE cases ADD COLUMN applicant_key TEXT;
UPDATE cases SET applicant_key = COALESCE(json_extract(applicant, '$.id_number'), json_extract(applicant, '$.credit_code'));
CREATE INDEX cases_applicant_key ON cases(applicant_key);

-- Which organisation runs each of the platform's city-wide services (the
-- hotline centre, the card centre): their roles count only where they
-- cover it.
CREATE TABLE platform_services (
    service  TEXT PRIMARY KEY,
    org      TEXT NOT NULL REFERENCES organisations(code)
);
