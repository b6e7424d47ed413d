-- The platform a store belongs to, from the first time it joined one: a
-- store is the city's or one district's for good, and a process that
-- would run it as another platform, or as the whole of Sunshine in one
-- process, is refused (its outbox, inbox and chains are that platform's).
CREATE TABLE platform_identity (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    platform   TEXT NOT NULL,
    joined_at  BIGINT NOT NULL
);
