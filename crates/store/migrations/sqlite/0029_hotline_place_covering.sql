-- The duplicate check reads every open request of the category in the four
-- squares around a new point. Where requests are dense, each of them was
-- then looked up in the table for its point and state: one random page a
-- request, read afresh by every check while writes go on. The index now
-- carries the point and the state, so the check reads only the index.
DROP INDEX hotline_tickets_place;
CREATE INDEX hotline_tickets_place ON hotline_tickets(category, place_cell, requested_at, lat, lon, state);
