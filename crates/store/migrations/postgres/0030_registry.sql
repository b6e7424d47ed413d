-- The community population registry: households, persons and their
-- addresses, each address with the days it held. A person without an
-- identity number has none (NULL), and many may.
CREATE TABLE registry_imports (
    id          BIGSERIAL PRIMARY KEY,
    actor       BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    sha256      TEXT NOT NULL,
    rows        BIGINT NOT NULL,
    added       BIGINT NOT NULL,
    changed     BIGINT NOT NULL
);
CREATE TABLE registry_households (
    id          BIGSERIAL PRIMARY KEY,
    district    TEXT NOT NULL,
    number      TEXT NOT NULL,
    community   TEXT NOT NULL,
    valid_from  TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (district, number)
);
CREATE TABLE registry_persons (
    id           BIGSERIAL PRIMARY KEY,
    id_number    TEXT COLLATE "C" UNIQUE,
    name         TEXT NOT NULL,
    sex          TEXT NOT NULL,
    birth        TEXT NOT NULL,
    birth_year   BIGINT NOT NULL,
    ethnicity    TEXT NOT NULL,
    phone        TEXT,
    district     TEXT NOT NULL,
    community    TEXT NOT NULL,
    household_id BIGINT NOT NULL REFERENCES registry_households(id),
    relationship TEXT NOT NULL,
    import_id    BIGINT REFERENCES registry_imports(id),
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX registry_persons_community ON registry_persons(community, id);
CREATE INDEX registry_persons_household ON registry_persons(household_id);
CREATE TABLE registry_addresses (
    id          BIGSERIAL PRIMARY KEY,
    person_id   BIGINT NOT NULL REFERENCES registry_persons(id),
    kind        TEXT NOT NULL,
    text        TEXT NOT NULL,
    valid_from  TEXT NOT NULL,
    valid_to    TEXT
);
CREATE INDEX registry_addresses_person ON registry_addresses(person_id, kind, valid_to);
