-- The backup centre (数据容灾集中备份中心): the departments' systems, their
-- keys, the archives they sent (each kept once per SHA-256 on disk under
-- the data directory, `centre/objects/ab/cdef…`), uploads under way, and
-- the signatures of recent requests (refused if sent again).
CREATE TABLE centre_systems (
    id             BIGSERIAL PRIMARY KEY,
    name           TEXT NOT NULL,
    department     TEXT NOT NULL REFERENCES organisations(code),
    data_size      BIGINT NOT NULL,
    rpo_minutes    BIGINT NOT NULL,
    rto_minutes    BIGINT NOT NULL,
    link           TEXT NOT NULL,
    quota          BIGINT NOT NULL,
    keep_last      BIGINT,
    keep_days      BIGINT,
    registered_at  BIGINT NOT NULL,
    registered_by  TEXT NOT NULL,
    UNIQUE (department, name)
);

-- Only public keys: a private key the centre made is shown once and forgotten.
CREATE TABLE centre_keys (
    id          BIGSERIAL PRIMARY KEY,
    system_id   BIGINT NOT NULL REFERENCES centre_systems(id),
    public_key  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT,
    revoked_why TEXT
);
CREATE INDEX centre_keys_system ON centre_keys(system_id);

-- What re-verification last found: `damaged` 1 when the bytes no longer
-- match their SHA-256 (or are gone).
CREATE TABLE centre_blobs (
    sha256       TEXT PRIMARY KEY,
    size         BIGINT NOT NULL,
    stored_at    BIGINT NOT NULL,
    verified_at  BIGINT,
    damaged      BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE centre_archives (
    id           BIGSERIAL PRIMARY KEY,
    system_id    BIGINT NOT NULL REFERENCES centre_systems(id),
    name         TEXT NOT NULL,
    taken_at     BIGINT NOT NULL,
    size         BIGINT NOT NULL,
    sha256       TEXT NOT NULL REFERENCES centre_blobs(sha256),
    signature    TEXT NOT NULL,
    key_id       BIGINT NOT NULL,
    received_at  BIGINT NOT NULL
);
CREATE INDEX centre_archives_system ON centre_archives(system_id, taken_at);
CREATE INDEX centre_archives_blob ON centre_archives(sha256);

CREATE TABLE centre_uploads (
    id          BIGSERIAL PRIMARY KEY,
    system_id   BIGINT NOT NULL REFERENCES centre_systems(id),
    name        TEXT NOT NULL,
    taken_at    BIGINT NOT NULL,
    size        BIGINT NOT NULL,
    sha256      TEXT NOT NULL,
    signature   TEXT NOT NULL,
    received    BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX centre_uploads_expiry ON centre_uploads(expires_at);

CREATE TABLE centre_seen_requests (
    signature  TEXT PRIMARY KEY,
    at         BIGINT NOT NULL
);
CREATE INDEX centre_seen_requests_at ON centre_seen_requests(at);
