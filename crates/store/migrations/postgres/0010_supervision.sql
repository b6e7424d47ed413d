-- Electronic supervision (电子监察): the rules' versions, what supervision
-- remembers of each case, the due-time index and the signals.
CREATE TABLE supervision_rules (
    version     BIGINT PRIMARY KEY,
    rules       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL
);

CREATE TABLE supervision_cases (
    number       TEXT PRIMARY KEY,
    department   TEXT NOT NULL,
    region       TEXT NOT NULL,
    version_id   BIGINT NOT NULL,
    responsible  TEXT,
    last_seq     BIGINT NOT NULL,
    trace        TEXT NOT NULL
);

-- Each row is a moment at which a time rule fires; a tick reads only what is due.
CREATE TABLE supervision_timers (
    id             BIGSERIAL PRIMARY KEY,
    due_at         BIGINT NOT NULL,
    case_number    TEXT NOT NULL,
    rule           TEXT NOT NULL,
    step           BIGINT NOT NULL,
    cause          BIGINT NOT NULL,
    rules_version  BIGINT NOT NULL,
    UNIQUE (case_number, rule, step, cause)
);
CREATE INDEX supervision_timers_due ON supervision_timers(due_at, id);

CREATE TABLE signals (
    id             BIGSERIAL PRIMARY KEY,
    case_number    TEXT NOT NULL,
    rule           TEXT NOT NULL,
    step           BIGINT NOT NULL,
    cause          BIGINT NOT NULL,
    level          TEXT NOT NULL,
    rules_version  BIGINT NOT NULL,
    department     TEXT NOT NULL,
    region         TEXT NOT NULL,
    responsible    TEXT,
    evidence       TEXT NOT NULL,
    state          TEXT NOT NULL,
    due_at         BIGINT NOT NULL,
    issued_at      BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    last_text      TEXT,
    UNIQUE (case_number, rule, step, cause)
);
CREATE INDEX signals_department ON signals(department, state);
CREATE INDEX signals_issued ON signals(issued_at);
