-- What approved cases grant on the citizen card (a card issued, an
-- entitlement loaded), written in the approval's transaction and carried
-- out on the card books after it: pending until done, so that a grant the
-- books could not take yet (no card yet, the books elsewhere) is retried
-- and none is lost or done twice.
CREATE TABLE hall_grants (
    case_number  TEXT PRIMARY KEY,
    grant_kind   TEXT NOT NULL,
    holder       TEXT NOT NULL,
    holder_name  TEXT NOT NULL,
    department   TEXT NOT NULL,
    by_actor     TEXT NOT NULL,
    state        TEXT NOT NULL,
    card         TEXT,
    created_at   BIGINT NOT NULL,
    done_at      BIGINT
);
CREATE INDEX hall_grants_pending ON hall_grants(state, created_at);
