-- A record of aid's monthly amount over time: each amount from the month
-- it came into force, so that a month paid late is paid at the amount of
-- that month, not today's. Records kept before start with their amount
-- from their first month.
CREATE TABLE care_aid_amounts (
    aid_id      BIGINT NOT NULL REFERENCES care_aid(id),
    from_month  TEXT NOT NULL,
    monthly_fen BIGINT NOT NULL,
    PRIMARY KEY (aid_id, from_month)
);
INSERT INTO care_aid_amounts (aid_id, from_month, monthly_fen)
    SELECT id, substr(since, 1, 7), monthly_fen FROM care_aid;
