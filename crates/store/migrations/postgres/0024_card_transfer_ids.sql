-- Transfers by their id: the ledger check ties every charged tap to its
-- transfer by id, and a lookup of one transfer is by id. Without it
-- PostgreSQL joined taps to transfers by scanning every transfer once per
-- tap, so the check grew with taps × transfers.
CREATE INDEX card_transfers_id ON card_transfers (id);
