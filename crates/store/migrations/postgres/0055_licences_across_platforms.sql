-- A licence a district's department issued on an application the city's
-- portal handed down is kept at the city beside its copy of the case,
-- with the key its issuer signed it with, as the district's platform sent
-- it (none for a licence this platform issued: its issuer's key is here).
ALTER TABLE licences ADD COLUMN issuer_key TEXT;
-- The keys published beside this platform's own (`/api/v1/keys`).
CREATE INDEX licences_held_keys ON licences (issuer, issuer_key) WHERE issuer_key IS NOT NULL;
