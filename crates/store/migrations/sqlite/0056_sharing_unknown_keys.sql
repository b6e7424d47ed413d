-- Reads of a shared resource with a key that is nobody's, for its owner to
-- see: counted by the client that tried and the hour it tried in, so that
-- guessing keys cannot flood the log.
CREATE TABLE sharing_unknown_keys (
    resource_id  BIGINT NOT NULL,
    client       TEXT NOT NULL,
    hour         BIGINT NOT NULL,
    attempts     BIGINT NOT NULL,
    last_at      BIGINT NOT NULL,
    PRIMARY KEY (resource_id, hour, client)
);
