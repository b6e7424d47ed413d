-- Snapshots of the card engine's books, each written in the same
-- transaction as the batch it ends, so a snapshot is stored only with
-- everything before it. A start loads the newest sound one and replays
-- only the transfers after its clock; `sunshine ledger check` proves each
-- equal to the replay of the history up to it. The engine keeps the newest
-- few. `image` is the books' image as encoded, `digest` its SHA-256.
CREATE TABLE card_snapshots (
    batch     BIGINT PRIMARY KEY,
    taken_at  BIGINT NOT NULL,
    clock     BIGINT NOT NULL,
    digest    TEXT NOT NULL,
    image     BLOB NOT NULL
);

-- The batch that opened each account, so a start from a snapshot reads
-- only the accounts opened after it. Accounts stored before this column
-- are in every snapshot (0).
ALTER TABLE card_accounts ADD COLUMN batch BIGINT NOT NULL DEFAULT 0;
CREATE INDEX card_accounts_batch ON card_accounts (batch);

-- A transfer id is applied once in the whole history. The engine no longer
-- holds every id in memory (it recalls the ones a request names), so the
-- store says it too, and the ledger check relies on it.
DROP INDEX card_transfers_id;
CREATE UNIQUE INDEX card_transfers_id ON card_transfers (id);
