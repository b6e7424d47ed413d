-- The city's cards on a district's units, kept at the district beside the
-- district's own (监察信息上下贯通). `origin` is '' for this platform's own
-- supervision and 'city' for a copy of the city's card, whose id at the
-- city is `city_signal`. A rule fires once per case, step and cause at
-- each level, so the uniqueness now includes the origin: the city's card
-- and the district's own on the same lateness are two cards.
CREATE TABLE signals_across (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    case_number    TEXT NOT NULL,
    rule           TEXT NOT NULL,
    step           INTEGER NOT NULL,
    cause          INTEGER NOT NULL,
    level          TEXT NOT NULL,
    rules_version  INTEGER NOT NULL,
    department     TEXT NOT NULL,
    region         TEXT NOT NULL,
    responsible    TEXT,
    evidence       TEXT NOT NULL,
    state          TEXT NOT NULL,
    due_at         INTEGER NOT NULL,
    issued_at      INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    last_text      TEXT,
    origin         TEXT NOT NULL DEFAULT '',
    city_signal    INTEGER,
    UNIQUE (case_number, rule, step, cause, origin)
);
INSERT INTO signals_across (id, case_number, rule, step, cause, level, rules_version, department,
    region, responsible, evidence, state, due_at, issued_at, updated_at, last_text)
SELECT id, case_number, rule, step, cause, level, rules_version, department,
    region, responsible, evidence, state, due_at, issued_at, updated_at, last_text
FROM signals;
-- Ids are never given twice, even those of rows gone.
UPDATE sqlite_sequence SET seq = (SELECT seq FROM sqlite_sequence WHERE name = 'signals')
WHERE name = 'signals_across' AND EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'signals');
DROP TABLE signals;
ALTER TABLE signals_across RENAME TO signals;
CREATE INDEX signals_department ON signals(department, state);
CREATE INDEX signals_issued ON signals(issued_at);
CREATE INDEX signals_due ON signals(due_at);
CREATE UNIQUE INDEX signals_city_signal ON signals(city_signal) WHERE city_signal IS NOT NULL;
