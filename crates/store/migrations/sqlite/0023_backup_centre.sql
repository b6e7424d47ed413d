-- The backup centre (数据容灾集中备份中心): the departments' systems, their
-- keys, the archives they sent (each kept once per SHA-256 on disk under
-- the data directory, `centre/objects/ab/cdef…`), uploads under way, and
-- the signatures of recent requests (refused if sent again).
CREATE TABLE centre_systems (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    name           TEXT NOT NULL,
    department     TEXT NOT NULL REFERENCES organisations(code),
    data_size      INTEGER NOT NULL,
    rpo_minutes    INTEGER NOT NULL,
    rto_minutes    INTEGER NOT NULL,
    link           TEXT NOT NULL,
    quota          INTEGER NOT NULL,
    keep_last      INTEGER,
    keep_days      INTEGER,
    registered_at  INTEGER NOT NULL,
    registered_by  TEXT NOT NULL,
    UNIQUE (department, name)
);

-- Only public keys: a private key the centre made is shown once and forgotten.
CREATE TABLE centre_keys (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    system_id   INTEGER NOT NULL REFERENCES centre_systems(id),
    public_key  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER,
    revoked_why TEXT
);
CREATE INDEX centre_keys_system ON centre_keys(system_id);

-- What re-verification last found: `damaged` 1 when the bytes no longer
-- match their SHA-256 (or are gone).
CREATE TABLE centre_blobs (
    sha256       TEXT PRIMARY KEY,
    size         INTEGER NOT NULL,
    stored_at    INTEGER NOT NULL,
    verified_at  INTEGER,
    damaged      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE centre_archives (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    system_id    INTEGER NOT NULL REFERENCES centre_systems(id),
    name         TEXT NOT NULL,
    taken_at     INTEGER NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL REFERENCES centre_blobs(sha256),
    signature    TEXT NOT NULL,
    key_id       INTEGER NOT NULL,
    received_at  INTEGER NOT NULL
);
CREATE INDEX centre_archives_system ON centre_archives(system_id, taken_at);
CREATE INDEX centre_archives_blob ON centre_archives(sha256);

CREATE TABLE centre_uploads (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    system_id   INTEGER NOT NULL REFERENCES centre_systems(id),
    name        TEXT NOT NULL,
    taken_at    INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    signature   TEXT NOT NULL,
    received    INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX centre_uploads_expiry ON centre_uploads(expires_at);

CREATE TABLE centre_seen_requests (
    signature  TEXT PRIMARY KEY,
    at         INTEGER NOT NULL
);
CREATE INDEX centre_seen_requests_at ON centre_seen_requests(at);
