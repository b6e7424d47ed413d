-- Corrections of the population registry a resident asks for: the
-- columns and the values asked, why, and the community worker's answer.
-- A correction a worker makes directly is journaled, not kept here.
CREATE TABLE registry_corrections (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id   BIGINT NOT NULL REFERENCES registry_persons(id),
    community   TEXT NOT NULL,
    requester   BIGINT NOT NULL,
    changes     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    state       TEXT NOT NULL,
    asked_at    BIGINT NOT NULL,
    decided_by  BIGINT,
    decided_at  BIGINT,
    answer      TEXT
);
CREATE INDEX registry_corrections_open ON registry_corrections(state, community, id);
CREATE INDEX registry_corrections_person ON registry_corrections(person_id, id);
