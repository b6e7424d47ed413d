-- A request's query code (查询码): told to a caller with the request's number,
-- it lets them track the request and add it to their account. Requests
-- taken before it have none and cannot be claimed.
ALTER TABLE hotline_tickets ADD COLUMN query_code TEXT NOT NULL DEFAULT '';
