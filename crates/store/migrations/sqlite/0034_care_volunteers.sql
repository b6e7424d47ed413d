-- Volunteers and the time bank (时间银行): residents who give their time,
-- the communities' activities they give it at, the time each records and
-- the worker confirms, and the minutes banked and spent.

-- An order may be paid in part from the resident's time bank.
ALTER TABLE care_orders ADD COLUMN use_time_bank BIGINT NOT NULL DEFAULT 0;
ALTER TABLE care_orders ADD COLUMN bank_fen BIGINT;
ALTER TABLE care_orders ADD COLUMN banked_minutes BIGINT;

CREATE TABLE care_volunteers (
    person_id     BIGINT PRIMARY KEY REFERENCES registry_persons(id),
    community     TEXT NOT NULL,
    skills        TEXT NOT NULL,
    registered_at BIGINT NOT NULL
);

CREATE TABLE care_activities (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    community   TEXT NOT NULL,
    title       TEXT NOT NULL,
    day         TEXT NOT NULL,
    place       TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX care_activities_community ON care_activities(community, day);

-- One record of time per volunteer and activity.
CREATE TABLE care_hours (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id  BIGINT NOT NULL REFERENCES care_activities(id),
    person_id    BIGINT NOT NULL REFERENCES care_volunteers(person_id),
    community    TEXT NOT NULL,
    minutes      BIGINT NOT NULL,
    note         TEXT NOT NULL,
    state        TEXT NOT NULL,
    recorded_at  BIGINT NOT NULL,
    decided_by   TEXT,
    decided_at   BIGINT,
    reason       TEXT,
    UNIQUE (activity_id, person_id)
);
CREATE INDEX care_hours_open ON care_hours(state, community, id);
CREATE INDEX care_hours_person ON care_hours(person_id, id);

-- The time bank: minutes in (confirmed hours) and out (services paid),
-- each with what it was for. A balance never goes below zero.
CREATE TABLE care_time_bank (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id  BIGINT NOT NULL REFERENCES registry_persons(id),
    minutes    BIGINT NOT NULL,
    kind       TEXT NOT NULL,
    ref        TEXT NOT NULL,
    at         BIGINT NOT NULL
);
CREATE INDEX care_time_bank_person ON care_time_bank(person_id, id);
