-- Applicants' ratings of the service after a decision (SQLite).
ALTER TABLE cases ADD COLUMN rating INTEGER;
ALTER TABLE cases ADD COLUMN rating_comment TEXT;
ALTER TABLE disclosure_cases ADD COLUMN rating INTEGER;
