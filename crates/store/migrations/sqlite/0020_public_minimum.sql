-- Public answers show the minimum.
-- A category about a person (care, aid, the elderly): its requests are
-- published without their address and with a coarse location only.
ALTER TABLE hotline_categories ADD COLUMN personal INTEGER NOT NULL DEFAULT 0;
-- An Open311 client comments only on the requests it filed, unless its key
-- was issued to comment on all.
ALTER TABLE open311_keys ADD COLUMN may_comment_on_all INTEGER NOT NULL DEFAULT 0;
-- A medical settlement carries the desk's own request id: the same id from
-- the same terminal is the same settlement, never recorded twice.
ALTER TABLE card_medical ADD COLUMN request_id TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX card_medical_request ON card_medical (terminal, request_id) WHERE request_id <> '';
-- Marks a store carries for good, such as `demo` when the demo was loaded
-- into it: `serve` refuses a store with the demo's public passwords or
-- terminal keys that does not carry that mark.
CREATE TABLE store_marks (
    mark  TEXT PRIMARY KEY,
    at    BIGINT NOT NULL
);
