-- Aid to vulnerable households (弱势群体帮扶): a household's record of aid
-- (低保, 优抚) with its monthly amount and the day of its next review,
-- and the months paid (one payment per record and month).
CREATE TABLE care_aid (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    district     TEXT NOT NULL,
    household    TEXT NOT NULL,
    community    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    monthly_fen  BIGINT NOT NULL,
    since        TEXT NOT NULL,
    last_review  TEXT NOT NULL,
    next_review  TEXT NOT NULL,
    reviews      BIGINT NOT NULL,
    active       BIGINT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX care_aid_community ON care_aid(community, id);

CREATE TABLE care_aid_payments (
    aid_id      BIGINT NOT NULL REFERENCES care_aid(id),
    month       TEXT NOT NULL,
    amount_fen  BIGINT NOT NULL,
    paid_by     TEXT NOT NULL,
    paid_at     BIGINT NOT NULL,
    PRIMARY KEY (aid_id, month)
);
