-- The duplicate check reads every open request of the category in the four
-- squares around a new point. Where requests are dense, each of them was
-- then looked up in the table for its point and state: one random page a
-- request. The index now carries the point, the state and the id, so the
-- check can be answered from the index alone.
DROP INDEX hotline_tickets_place;
CREATE INDEX hotline_tickets_place ON hotline_tickets(category, place_cell, requested_at) INCLUDE (lat, lon, state, id);
