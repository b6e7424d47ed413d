-- Digital-TV set-top boxes paired to a resident's account: the TV shows a
-- short code, the resident confirms it while signed in, and the TV (which
-- holds only a secret in its cookie, stored here as a hash) then serves
-- that resident's home-care pages, and nothing else, until unpaired.
CREATE TABLE tv_pairings (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_code     TEXT NOT NULL UNIQUE,
    device_hash   TEXT NOT NULL UNIQUE,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    user_id       BIGINT,
    label         TEXT,
    paired_at     BIGINT,
    revoked_at    BIGINT,
    last_used_at  BIGINT
);
CREATE INDEX tv_pairings_user ON tv_pairings(user_id, id);
