-- Public answers show the minimum.
-- A category about a person (care, aid, the elderly): its requests are
-- published without their address and with a coarse location only.
ALTER TABLE hotline_categories ADD COLUMN personal BIGINT NOT NULL DEFAULT 0;
-- An Open311 client comments only on the requests it filed, unless its key
-- was issued to comment on all.
ALTER TABLE open311_keys ADD COLUMN may_comment_on_all BIGINT NOT NULL DEFAULT 0;
