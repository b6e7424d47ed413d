-- The city's requests to read a named person's record (市级具名查阅):
-- the district asked, the person's identity number, the fields and the
-- reason; the district registrar's answer; and, once approved, when the
-- approval ends. Each read under a request is journaled and recorded
-- against the person, not kept here.
CREATE TABLE registry_named_reads (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    requester    BIGINT NOT NULL,
    district     TEXT NOT NULL,
    id_number    TEXT NOT NULL,
    fields       TEXT NOT NULL,
    reason       TEXT NOT NULL,
    state        TEXT NOT NULL,
    asked_at     BIGINT NOT NULL,
    decided_by   BIGINT,
    decided_at   BIGINT,
    answer       TEXT,
    expires_at   BIGINT,
    withdrawn_at BIGINT
);
CREATE INDEX registry_named_reads_district ON registry_named_reads(district, id);
CREATE INDEX registry_named_reads_requester ON registry_named_reads(requester, id);
