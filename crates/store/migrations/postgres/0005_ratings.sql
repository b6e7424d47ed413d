-- Applicants' ratings of the service after a decision (PostgreSQL).
ALTER TABLE cases ADD COLUMN rating BIGINT;
ALTER TABLE cases ADD COLUMN rating_comment TEXT;
ALTER TABLE disclosure_cases ADD COLUMN rating BIGINT;
