-- Community information by home address: the services around a home, and
-- the gazetteer of places an address is placed by.
CREATE TABLE community_services (
    id       BIGSERIAL PRIMARY KEY,
    name     TEXT NOT NULL,
    kind     TEXT NOT NULL,
    address  TEXT NOT NULL,
    lat      DOUBLE PRECISION NOT NULL,
    lon      DOUBLE PRECISION NOT NULL,
    phone    TEXT NOT NULL,
    hours    TEXT NOT NULL,
    region   TEXT NOT NULL
);
CREATE INDEX community_services_place ON community_services(lat, lon);

CREATE TABLE community_places (
    name  TEXT PRIMARY KEY,
    lat   DOUBLE PRECISION NOT NULL,
    lon   DOUBLE PRECISION NOT NULL
);
