-- Electronic supervision (电子监察): the rules' versions, what supervision
-- remembers of each case, the due-time index and the signals.
CREATE TABLE supervision_rules (
    version     INTEGER PRIMARY KEY,
    rules       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    created_by  TEXT NOT NULL
);

CREATE TABLE supervision_cases (
    number       TEXT PRIMARY KEY,
    department   TEXT NOT NULL,
    region       TEXT NOT NULL,
    version_id   INTEGER NOT NULL,
    responsible  TEXT,
    last_seq     INTEGER NOT NULL,
    trace        TEXT NOT NULL
);

-- Each row is a moment at which a time rule fires; a tick reads only what is due.
CREATE TABLE supervision_timers (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    due_at         INTEGER NOT NULL,
    case_number    TEXT NOT NULL,
    rule           TEXT NOT NULL,
    step           INTEGER NOT NULL,
    cause          INTEGER NOT NULL,
    rules_version  INTEGER NOT NULL,
    UNIQUE (case_number, rule, step, cause)
);
CREATE INDEX supervision_timers_due ON supervision_timers(due_at, id);

CREATE TABLE signals (
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
    UNIQUE (case_number, rule, step, cause)
);
CREATE INDEX signals_department ON signals(department, state);
CREATE INDEX signals_issued ON signals(issued_at);
