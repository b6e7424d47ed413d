-- Applications the city's portal takes for a district's items go down to
-- the district's platform; its results come back up.

-- Whom each outbox message goes to (the city, until now the only receiver).
-- A flow's messages name their predecessor on the same subject, the flow
-- between this platform and that one.
ALTER TABLE exchange_outbox ADD COLUMN peer TEXT NOT NULL DEFAULT 'city';
CREATE INDEX exchange_outbox_chain ON exchange_outbox (flow, subject, seq);

-- The platform that handles a case this one took but handed down
-- (`district:330106`); none for a case handled here.
ALTER TABLE cases ADD COLUMN handled_by TEXT;
