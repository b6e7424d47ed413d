-- A district's records are read whole to re-link them and to score a large
-- import against them: by district, not by scanning the city's.
CREATE INDEX registry_persons_district ON registry_persons (district, id);
