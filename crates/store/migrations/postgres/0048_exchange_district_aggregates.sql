-- Each district's population registry as anonymous aggregates, as the
-- district last reported them to the city (never a person).
CREATE TABLE exchange_district_aggregates (
    district     TEXT PRIMARY KEY,
    report       TEXT NOT NULL,
    reported_at  BIGINT NOT NULL,
    last_seq     BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
