-- The hash of each message applied, so that another body under an id
-- already applied (a sender restored from an old backup reusing its
-- sequence numbers) is refused, not taken for a copy; and the hash of the
-- last one applied from each sender, which the next must name.
ALTER TABLE exchange_inbox ADD COLUMN body_sha256 TEXT;
ALTER TABLE exchange_cursors ADD COLUMN last_sha256 TEXT;
