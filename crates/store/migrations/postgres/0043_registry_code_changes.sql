-- The city's changes to the registry's code lists (标准统一在全市): the
-- lists the standard ships with are the start, and these changes, in the
-- order made, give the lists in force. Never edited or deleted: a change
-- is undone by another.
CREATE TABLE registry_code_changes (
    id          BIGSERIAL PRIMARY KEY,
    list        TEXT NOT NULL,
    code        TEXT NOT NULL,
    change      TEXT NOT NULL,
    name        TEXT,
    reason      TEXT NOT NULL,
    actor       BIGINT NOT NULL,
    at          BIGINT NOT NULL
);
