-- The city's cards on a district's units, kept at the district beside the
-- district's own (监察信息上下贯通). `origin` is '' for this platform's own
-- supervision and 'city' for a copy of the city's card, whose id at the
-- city is `city_signal`. A rule fires once per case, step and cause at
-- each level, so the uniqueness now includes the origin: the city's card
-- and the district's own on the same lateness are two cards.
ALTER TABLE signals ADD COLUMN origin TEXT NOT NULL DEFAULT '';
ALTER TABLE signals ADD COLUMN city_signal BIGINT;
ALTER TABLE signals DROP CONSTRAINT signals_case_number_rule_step_cause_key;
ALTER TABLE signals ADD CONSTRAINT signals_once UNIQUE (case_number, rule, step, cause, origin);
CREATE UNIQUE INDEX signals_city_signal ON signals(city_signal) WHERE city_signal IS NOT NULL;
