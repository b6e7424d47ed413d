-- The exchange between the city's platform and the districts' (两级平台).

-- What this platform sends: one row per journal entry that leaves it,
-- written in the same transaction as the entry. `prev` is the sequence of
-- the flow's previous message, so the receiver applies a flow in order.
-- Rows are kept after they are published: they are the sent log's bodies.
CREATE TABLE exchange_outbox (
    flow          TEXT NOT NULL,
    seq           BIGINT NOT NULL,
    prev          BIGINT NOT NULL,
    msg_id        TEXT NOT NULL,
    subject       TEXT NOT NULL,
    body          TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    published_at  BIGINT,
    PRIMARY KEY (flow, seq)
);
CREATE INDEX exchange_outbox_waiting ON exchange_outbox (seq) WHERE published_at IS NULL;

-- Every message applied here, by id, recorded in the same transaction as
-- its effect: a message applies once however often it arrives.
CREATE TABLE exchange_inbox (
    flow        TEXT NOT NULL,
    msg_id      TEXT NOT NULL,
    sender      TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    sent_at     BIGINT NOT NULL,
    applied_at  BIGINT NOT NULL,
    PRIMARY KEY (flow, msg_id)
);

-- The last message applied from each sender in each flow.
CREATE TABLE exchange_cursors (
    sender      TEXT NOT NULL,
    flow        TEXT NOT NULL,
    last_seq    BIGINT NOT NULL,
    last_at     BIGINT NOT NULL,
    applied_at  BIGINT NOT NULL,
    PRIMARY KEY (sender, flow)
);

-- The platforms whose messages this one accepts, with their published keys.
CREATE TABLE exchange_peers (
    platform    TEXT PRIMARY KEY,
    public_key  TEXT NOT NULL,
    trusted_at  BIGINT NOT NULL,
    trusted_by  BIGINT NOT NULL
);

-- What happened to each message, on both sides: sent, applied, a
-- duplicate acknowledged, held for an earlier one, refused and why.
CREATE TABLE exchange_log (
    id          BIGSERIAL PRIMARY KEY,
    at          BIGINT NOT NULL,
    direction   TEXT NOT NULL,
    flow        TEXT NOT NULL,
    msg_id      TEXT NOT NULL,
    peer        TEXT NOT NULL,
    status      TEXT NOT NULL,
    reason      TEXT
);
CREATE INDEX exchange_log_msg ON exchange_log (msg_id);
CREATE INDEX exchange_log_peer ON exchange_log (peer, id);

-- The districts' cases as the city learns them (never the applicant).
CREATE TABLE exchange_district_cases (
    subject       TEXT PRIMARY KEY,
    district      TEXT NOT NULL,
    department    TEXT NOT NULL,
    item_id       BIGINT,
    state         TEXT NOT NULL,
    submitted_at  BIGINT,
    decided_at    BIGINT,
    last_seq      BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX exchange_district_cases_district ON exchange_district_cases (district, state);
