-- The duplicate check found the requests near a new point on an index of
-- (category, lat): every request of the category ever taken in a band of
-- latitude 0.004° high across the whole city, each looked up in the table
-- for its longitude and time. The band grows with the city's history, and
-- so did every new request's cost. Each request now keeps the square of a
-- grid of 0.004° it lies in (domain::hotline::place_cell), and the check
-- reads the four squares around the point, newest first, from the window's
-- start.
ALTER TABLE hotline_tickets ADD COLUMN place_cell BIGINT;
UPDATE hotline_tickets SET place_cell = CAST((lat + 90.0) / 0.004 AS INTEGER) * 100000 + CAST((lon + 180.0) / 0.004 AS INTEGER)
WHERE lat IS NOT NULL AND lon IS NOT NULL;
DROP INDEX hotline_tickets_place;
-- Lists by category use its first column.
CREATE INDEX hotline_tickets_place ON hotline_tickets(category, place_cell, requested_at);
