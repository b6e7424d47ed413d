-- A medical settlement's self-paid part, as the card paid it: from the
-- personal medical account, from the card's real-name account, in cash.
-- Settlements recorded before were paid outside the card's ledger.
ALTER TABLE card_medical ADD COLUMN from_medical_account BIGINT NOT NULL DEFAULT 0;
ALTER TABLE card_medical ADD COLUMN from_account BIGINT NOT NULL DEFAULT 0;
ALTER TABLE card_medical ADD COLUMN in_cash BIGINT NOT NULL DEFAULT 0;
UPDATE card_medical SET in_cash = self_pay;
-- The day's clearing sums what cards paid at each hospital's desks.
CREATE INDEX card_medical_at ON card_medical (at);
