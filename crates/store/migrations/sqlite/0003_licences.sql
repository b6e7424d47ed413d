-- Signing keys of organisations and the e-licences they sign (SQLite).
CREATE TABLE org_keys (
    org            TEXT PRIMARY KEY REFERENCES organisations(code),
    public_key     TEXT NOT NULL,
    sealed_secret  TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);

CREATE TABLE licences (
    number          TEXT PRIMARY KEY,
    case_number     TEXT NOT NULL UNIQUE,
    issuer          TEXT NOT NULL,
    payload         TEXT NOT NULL,
    signature       TEXT NOT NULL,
    issued_at       INTEGER NOT NULL,
    revoked_at      INTEGER,
    revoked_reason  TEXT
);
