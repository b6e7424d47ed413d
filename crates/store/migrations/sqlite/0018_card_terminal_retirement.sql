-- A terminal retired (taken out of use, broken, stolen) is refused from
-- that moment on; a terminal's key may be replaced in place.
ALTER TABLE card_terminals ADD COLUMN retired_at BIGINT;
