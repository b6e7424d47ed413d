-- Home care of the elderly (居家养老) on the population registry.
--
-- The housekeeping alliance's providers (家政联盟), enterprises known by
-- their credit code, with the services they give and the districts they
-- serve (comma-separated codes).
CREATE TABLE care_providers (
    credit_code   TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    services      TEXT NOT NULL,
    districts     TEXT NOT NULL,
    active        BIGINT NOT NULL,
    registered_at BIGINT NOT NULL
);

-- A resident registered for home care, with their latest needs
-- assessment (MZ/T 039-2013 daily living, item scores as JSON) and the
-- subsidised minutes a month it gives.
CREATE TABLE care_recipients (
    person_id     BIGINT PRIMARY KEY REFERENCES registry_persons(id),
    community     TEXT NOT NULL,
    scores        TEXT NOT NULL,
    total         BIGINT NOT NULL,
    level         TEXT NOT NULL,
    minutes       BIGINT NOT NULL,
    assessed_at   BIGINT NOT NULL,
    assessed_by   TEXT NOT NULL
);
CREATE INDEX care_recipients_community ON care_recipients(community, person_id);

-- Service orders: who placed each and how, the provider's acceptance and
-- the time served, what it cost and who paid, and the resident's rating.
-- `month` (YYYY-MM) is the month the service was given, whose subsidised
-- minutes it drew; `due_at` is the moment the order's current limit runs out.
CREATE TABLE care_orders (
    id                 BIGSERIAL PRIMARY KEY,
    person_id          BIGINT NOT NULL REFERENCES care_recipients(person_id),
    community          TEXT NOT NULL,
    provider           TEXT NOT NULL REFERENCES care_providers(credit_code),
    service            TEXT NOT NULL,
    channel            TEXT NOT NULL,
    placed_by          TEXT NOT NULL,
    placed_at          BIGINT NOT NULL,
    wanted_on          TEXT NOT NULL,
    request            TEXT NOT NULL,
    state              TEXT NOT NULL,
    due_at             BIGINT,
    accepted_at        BIGINT,
    served_at          BIGINT,
    minutes            BIGINT,
    note               TEXT,
    month              TEXT,
    total_fen          BIGINT,
    subsidy_fen        BIGINT,
    own_fen            BIGINT,
    subsidised_minutes BIGINT,
    rating             BIGINT,
    comment            TEXT,
    closed_reason      TEXT,
    updated_at         BIGINT NOT NULL
);
CREATE INDEX care_orders_community ON care_orders(community, id);
CREATE INDEX care_orders_provider ON care_orders(provider, id);
CREATE INDEX care_orders_person ON care_orders(person_id, month);
