-- A record of aid's monthly amount over time: each amount from the month
-- it came into force, so that a month paid late is paid at the amount of
-- that month, not today's. Records kept before are given what history
-- they show: the amount each month was paid at, the amount held from the
-- first month where nothing was paid yet, and, for a record reviewed
-- since its last payment, the amount held from the month of that review.
CREATE TABLE care_aid_amounts (
    aid_id      BIGINT NOT NULL REFERENCES care_aid(id),
    from_month  TEXT NOT NULL,
    monthly_fen BIGINT NOT NULL,
    PRIMARY KEY (aid_id, from_month)
);
INSERT INTO care_aid_amounts (aid_id, from_month, monthly_fen)
    SELECT aid_id, month, amount_fen FROM care_aid_payments WHERE 1 = 1
    ON CONFLICT DO NOTHING;
INSERT INTO care_aid_amounts (aid_id, from_month, monthly_fen)
    SELECT a.id, substr(a.since, 1, 7), a.monthly_fen FROM care_aid a
    WHERE NOT EXISTS (SELECT 1 FROM care_aid_payments p WHERE p.aid_id = a.id)
    ON CONFLICT DO NOTHING;
INSERT INTO care_aid_amounts (aid_id, from_month, monthly_fen)
    SELECT a.id, substr(a.last_review, 1, 7), a.monthly_fen FROM care_aid a
    WHERE a.reviews > 0
      AND substr(a.last_review, 1, 7) > (SELECT MAX(p.month) FROM care_aid_payments p WHERE p.aid_id = a.id)
    ON CONFLICT DO NOTHING;
