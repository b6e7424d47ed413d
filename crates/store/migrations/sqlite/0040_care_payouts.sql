-- Money the platform pays onto holders' cards from civil affairs' funds: a
-- month of a household's aid to its head, a month's age allowance to an
-- elder. Written in the transaction that records the payment, carried out
-- on the card books after it: pending until done, retried each minute, and
-- paid once (the books' transfer id follows from the row's id).
CREATE TABLE care_payouts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    what        TEXT NOT NULL,
    reference   TEXT NOT NULL,
    month       TEXT NOT NULL,
    holder      TEXT NOT NULL,
    amount_fen  BIGINT NOT NULL,
    subject     TEXT NOT NULL,
    org         TEXT NOT NULL,
    by_actor    TEXT NOT NULL,
    state       TEXT NOT NULL,
    card        TEXT,
    created_at  BIGINT NOT NULL,
    done_at     BIGINT,
    UNIQUE (what, reference, month)
);
CREATE INDEX care_payouts_pending ON care_payouts(state, id);
