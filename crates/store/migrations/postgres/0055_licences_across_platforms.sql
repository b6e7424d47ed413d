-- A licence a district's department issued on an application the city's
-- portal handed down is kept at the city beside its copy of the case,
-- with the key its issuer signed it with, as the district's platform sent
-- it (none for a licence this platform issued: its issuer's key is here).
ALTER TABLE licences ADD COLUMN issuer_key TEXT;
