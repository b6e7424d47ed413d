-- Credentials that end: an API token lives 90 days at most. Tokens issued
-- before this had no end; they get the default one, counted from their issue.
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;
UPDATE api_tokens SET expires_at = created_at + 7776000000000 WHERE expires_at IS NULL;
CREATE INDEX api_tokens_user ON api_tokens (user_id);
CREATE INDEX sessions_user ON sessions (user_id);

-- Who looked at my data: each staff read of a personal record, once per
-- person it concerns, written with its journal entry. A person is found by
-- their account (person_user) and/or by a hash of their identity
-- number or credit code (person_ref); the number itself is not stored here.
CREATE TABLE personal_reads (
    id           BIGSERIAL PRIMARY KEY,
    person_user  BIGINT,
    person_ref   TEXT,
    reader       TEXT NOT NULL,
    reader_org   TEXT NOT NULL,
    what_kind    TEXT NOT NULL,
    what_ref     TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    read_at      BIGINT NOT NULL
);
CREATE INDEX personal_reads_user ON personal_reads (person_user, read_at);
CREATE INDEX personal_reads_ref ON personal_reads (person_ref, read_at);
