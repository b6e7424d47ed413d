-- Which process runs the card engine. Several processes may serve one
-- PostgreSQL store; one holds this lease and runs the engine, renewing it
-- before it expires, and the others answer card requests with where the
-- holder serves. A process that takes the lease over (once it expired, or
-- the same node starting again) moves the term on, and the engine stores a
-- batch only while the lease names its node and term: an engine that lost
-- the lease cannot write after the next one began.
CREATE TABLE card_lease (
    one         BIGINT PRIMARY KEY CHECK (one = 1),
    node        TEXT NOT NULL,
    address     TEXT NOT NULL,
    term        BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
INSERT INTO card_lease (one, node, address, term, expires_at) VALUES (1, '', '', 0, 0);
