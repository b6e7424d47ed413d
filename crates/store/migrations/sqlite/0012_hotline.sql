-- The 96345 service hotline: categories and their dispatch catalogue,
-- tickets with their updates, and the Open311 clients' API keys.

-- A category of request (an Open311 service). `version` grows with every
-- edit; the journal keeps what each edit changed.
CREATE TABLE hotline_categories (
    code            TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    name_en         TEXT NOT NULL,
    class           TEXT NOT NULL,
    kind            TEXT NOT NULL,
    urgency         TEXT NOT NULL,
    dispatch_hours  INTEGER NOT NULL,
    sign_hours      INTEGER NOT NULL,
    answer_days     INTEGER NOT NULL,
    description     TEXT NOT NULL,
    keywords        TEXT NOT NULL,
    attributes      TEXT NOT NULL,
    lead_unit       TEXT NOT NULL,
    assisting       TEXT NOT NULL,
    active          INTEGER NOT NULL,
    version         INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);

-- Where a district sends a category elsewhere than the city's lead unit.
CREATE TABLE hotline_dispatch (
    category   TEXT NOT NULL,
    region     TEXT NOT NULL,
    lead_unit  TEXT NOT NULL,
    assisting  TEXT NOT NULL,
    PRIMARY KEY (category, region)
);

CREATE TABLE hotline_tickets (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    token           TEXT NOT NULL UNIQUE,
    category        TEXT NOT NULL,
    channel         TEXT NOT NULL,
    state           TEXT NOT NULL,
    description     TEXT NOT NULL,
    lat             DOUBLE PRECISION,
    lon             DOUBLE PRECISION,
    address         TEXT,
    region          TEXT NOT NULL,
    caller_name     TEXT,
    caller_phone    TEXT,
    email           TEXT,
    requester_user  INTEGER,
    client          TEXT,
    device_id       TEXT,
    account_id      TEXT,
    media_url       TEXT,
    answers         TEXT NOT NULL,
    lead_unit       TEXT,
    answer          TEXT,
    merged_into     INTEGER,
    lifecycle       TEXT NOT NULL,
    next_deadline   INTEGER,
    requested_at    INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX hotline_tickets_requested ON hotline_tickets(requested_at);
CREATE INDEX hotline_tickets_updated ON hotline_tickets(updated_at);
CREATE INDEX hotline_tickets_lead ON hotline_tickets(lead_unit, state);
-- The duplicate check looks near a point (and lists by category use it too)
-- and at an address.
CREATE INDEX hotline_tickets_place ON hotline_tickets(category, lat);
CREATE INDEX hotline_tickets_address ON hotline_tickets(address, category, requested_at);
-- …and for the same caller (also the operator's caller lookup).
CREATE INDEX hotline_tickets_caller ON hotline_tickets(caller_phone, category, requested_at);
CREATE INDEX hotline_tickets_requester ON hotline_tickets(requester_user);
CREATE INDEX hotline_tickets_merged ON hotline_tickets(merged_into);

-- Every step of a ticket, as the public may read it (`public` = 1: the
-- status notes of Open311 and mySociety's updates) or staff only.
CREATE TABLE hotline_updates (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id   INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    event       TEXT NOT NULL,
    state       TEXT NOT NULL,
    text        TEXT NOT NULL,
    public      INTEGER NOT NULL,
    journal_seq INTEGER NOT NULL
);
CREATE INDEX hotline_updates_ticket ON hotline_updates(ticket_id, id);
CREATE INDEX hotline_updates_at ON hotline_updates(at);

-- Open311 clients' API keys, kept only as SHA-256 hashes, each with the
-- number of POSTs a minute it may make.
CREATE TABLE open311_keys (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    client      TEXT NOT NULL,
    key_hash    TEXT NOT NULL UNIQUE,
    per_minute  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
