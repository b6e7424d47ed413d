-- The hotline's requests dispatched to a unit of a district that runs its
-- own platform (派单上下贯通). At the district, a copy of the city's request
-- is a ticket whose id at the city is `city_ticket`; `hotline_copies` keeps
-- the unit's replies not yet taken at the city, replayed on each word that
-- comes from the city, and how many replies were sent. At the city,
-- `hotline_replies_taken` keeps the last of each district's replies on a
-- request it has taken.
ALTER TABLE hotline_tickets ADD COLUMN city_ticket BIGINT;
CREATE UNIQUE INDEX hotline_tickets_city_ticket ON hotline_tickets(city_ticket)
    WHERE city_ticket IS NOT NULL;
CREATE TABLE hotline_copies (
    ticket_id  BIGINT PRIMARY KEY,
    pending    TEXT NOT NULL,
    sent       BIGINT NOT NULL
);
CREATE TABLE hotline_replies_taken (
    ticket_id  BIGINT NOT NULL,
    district   TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    PRIMARY KEY (ticket_id, district)
);
