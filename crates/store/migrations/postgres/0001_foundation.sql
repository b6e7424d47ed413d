-- Identity, the journal, and the power-item catalogue (PostgreSQL).
CREATE TABLE organisations (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    parent      TEXT REFERENCES organisations(code),
    created_at  BIGINT NOT NULL
);
CREATE INDEX organisations_parent ON organisations(parent);

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    kind          TEXT NOT NULL,
    login         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    org           TEXT REFERENCES organisations(code),
    id_number     TEXT UNIQUE,
    credit_code   TEXT UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    disabled      BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE grants (
    user_id  BIGINT NOT NULL REFERENCES users(id),
    role     TEXT NOT NULL,
    org      TEXT NOT NULL REFERENCES organisations(code),
    PRIMARY KEY (user_id, role, org)
);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users(id),
    csrf        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id          BIGSERIAL PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    user_id     BIGINT NOT NULL REFERENCES users(id),
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

CREATE TABLE journal (
    seq         BIGINT PRIMARY KEY,
    at          BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    org         TEXT NOT NULL,
    subject     TEXT NOT NULL,
    event_type  TEXT NOT NULL,
    payload     TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX journal_subject ON journal(subject, seq);

-- One row: the last entry's sequence and hash. Every write transaction
-- touches it first, which serialises writers and takes the row lock
-- at the start of the transaction.
CREATE TABLE journal_head (
    id    BIGINT PRIMARY KEY CHECK (id = 1),
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO journal_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE consumer_cursors (
    name  TEXT PRIMARY KEY,
    seq   BIGINT NOT NULL
);

-- Codes sort byte-wise, as on SQLite, whatever the server's locale.
CREATE TABLE power_items (
    id               BIGSERIAL PRIMARY KEY,
    code             TEXT COLLATE "C" NOT NULL,
    region           TEXT COLLATE "C" NOT NULL,
    created_at       BIGINT NOT NULL,
    current_version  BIGINT,
    UNIQUE (code, region)
);

CREATE TABLE item_versions (
    id                 BIGSERIAL PRIMARY KEY,
    item_id            BIGINT NOT NULL REFERENCES power_items(id),
    version_no         BIGINT NOT NULL,
    state              TEXT NOT NULL,
    code               TEXT COLLATE "C" NOT NULL,
    name               TEXT NOT NULL,
    item_type          TEXT NOT NULL,
    level              TEXT NOT NULL,
    region             TEXT COLLATE "C" NOT NULL,
    implementing_body  TEXT NOT NULL,
    sensitive          BIGINT NOT NULL,
    spec               TEXT NOT NULL,
    effective_date     TEXT,
    entered_at         BIGINT,
    returned_reason    TEXT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    UNIQUE (item_id, version_no)
);
CREATE INDEX item_versions_state ON item_versions(state, region, implementing_body);
CREATE INDEX item_versions_item ON item_versions(item_id);
