-- Finding the same person twice: each person's blocking keys (a hash of
-- the district, the rule and the rule's fields), the candidate pairs
-- scored at or above the review threshold, and what a registrar decided.
-- A record merged into another is kept, pointing at the one it is.
ALTER TABLE registry_persons ADD COLUMN merged_into BIGINT;
CREATE TABLE registry_blocks (
    key         BIGINT NOT NULL,
    person_id   BIGINT NOT NULL,
    PRIMARY KEY (key, person_id)
);
CREATE INDEX registry_blocks_person ON registry_blocks(person_id);
CREATE TABLE registry_pairs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    district    TEXT NOT NULL,
    a           BIGINT NOT NULL,
    b           BIGINT NOT NULL,
    score       REAL NOT NULL,
    comparison  TEXT NOT NULL,
    state       TEXT NOT NULL,
    found_at    BIGINT NOT NULL,
    decided_by  BIGINT,
    decided_at  BIGINT,
    UNIQUE (a, b)
);
CREATE INDEX registry_pairs_queue ON registry_pairs(district, state, score);
