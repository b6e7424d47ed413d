-- The city's public board shows the districts' own cases as the districts'
-- boards do: the applicant as the board names them (a person's name
-- masked), the item's version, the channel, and when the case was
-- accepted, promised and completed, as the district's messages say.
ALTER TABLE exchange_district_cases ADD COLUMN applicant_public TEXT;
ALTER TABLE exchange_district_cases ADD COLUMN version_id BIGINT;
ALTER TABLE exchange_district_cases ADD COLUMN channel TEXT;
ALTER TABLE exchange_district_cases ADD COLUMN accepted_at BIGINT;
ALTER TABLE exchange_district_cases ADD COLUMN promised_due TEXT;
