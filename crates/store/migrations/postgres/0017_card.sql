-- The citizen card (市民卡). The ledger's rows are written only by the card
-- engine, in batches: accounts as opened, and transfers and expiries in the
-- order of their timestamps, which are unique and increasing. Balances are
-- not stored: they are what the transfers add up to, and the engine replays
-- them at start (and `sunshine ledger check` replays them under every rule).

CREATE TABLE card_accounts (
    id      BIGINT PRIMARY KEY,
    ledger  BIGINT NOT NULL,
    code    BIGINT NOT NULL,
    flags   BIGINT NOT NULL
);

-- A transfer as requested (`amount`: 0 posts a whole pending amount) and
-- what it moved (`moved`). Ids are the clients' (u64, stored as their bits).
CREATE TABLE card_transfers (
    ts          BIGINT PRIMARY KEY,
    id          BIGINT NOT NULL,
    debit       BIGINT NOT NULL,
    credit      BIGINT NOT NULL,
    amount      BIGINT NOT NULL,
    pending_id  BIGINT NOT NULL,
    timeout     BIGINT NOT NULL,
    ledger      BIGINT NOT NULL,
    code        BIGINT NOT NULL,
    flags       BIGINT NOT NULL,
    moved       BIGINT NOT NULL
);

-- A pending transfer released by its timeout, at its own timestamp.
CREATE TABLE card_expiries (
    ts          BIGINT PRIMARY KEY,
    pending_id  BIGINT NOT NULL
);

-- The number of the last batch stored: each batch moves it on by one from
-- the number it expects, so a batch built on one that was lost fails too.
CREATE TABLE card_ledger_head (
    one    BIGINT PRIMARY KEY CHECK (one = 1),
    batch  BIGINT NOT NULL
);
INSERT INTO card_ledger_head (one, batch) VALUES (1, 0);

CREATE TABLE cards (
    id              BIGINT PRIMARY KEY,
    number          TEXT NOT NULL UNIQUE,
    holder          TEXT NOT NULL,
    holder_name     TEXT NOT NULL,
    rider_category  TEXT NOT NULL,
    state           TEXT NOT NULL,
    replaces        TEXT,
    replaced_by     TEXT,
    issued_at       BIGINT NOT NULL,
    changed_at      BIGINT NOT NULL
);
CREATE INDEX cards_holder ON cards (holder);

-- Transit operators and the merchants of the alliance.
CREATE TABLE card_parties (
    id                BIGINT PRIMARY KEY,
    code              TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL,
    kind              TEXT NOT NULL,
    accepts           TEXT NOT NULL,
    percent_of_price  BIGINT NOT NULL
);

CREATE TABLE card_terminals (
    code           TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    party          BIGINT NOT NULL,
    network_id     TEXT NOT NULL,
    public_key     TEXT NOT NULL,
    registered_at  BIGINT NOT NULL
);

-- Every tap uploaded, once (a repeat of a sequence number is not stored).
CREATE TABLE card_taps (
    terminal   TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    card       TEXT NOT NULL,
    at         BIGINT NOT NULL,
    outcome    TEXT NOT NULL,
    product    TEXT NOT NULL,
    leg_group  TEXT NOT NULL,
    full_fare  BIGINT NOT NULL,
    charged    BIGINT NOT NULL,
    transfer   BIGINT NOT NULL,
    party      BIGINT NOT NULL,
    applied_at BIGINT NOT NULL,
    PRIMARY KEY (terminal, seq)
);
CREATE INDEX card_taps_card ON card_taps (card, at);
-- Clearing counts a tap in the day the back office applied it.
CREATE INDEX card_taps_applied ON card_taps (applied_at);

-- Each operator's and merchant's settlement of a day (T+1).
CREATE TABLE card_settlements (
    day         TEXT NOT NULL,
    party       BIGINT NOT NULL,
    takings     BIGINT NOT NULL,
    count       BIGINT NOT NULL,
    refunds     BIGINT NOT NULL,
    passes      BIGINT NOT NULL,
    net         BIGINT NOT NULL,
    transfer    BIGINT NOT NULL,
    settled_at  BIGINT NOT NULL,
    PRIMARY KEY (day, party)
);

-- The deny list's changes; the list at a version is their sum.
CREATE TABLE card_deny (
    version  BIGINT PRIMARY KEY,
    card     TEXT NOT NULL,
    reason   TEXT
);

-- What cards entitle their holders to (medical-insurance identity, park
-- annual card, library reader card): one row per holder and kind.
CREATE TABLE card_entitlements (
    holder       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    granted_at   BIGINT NOT NULL,
    valid_until  BIGINT,
    revoked      TEXT,
    changed_at   BIGINT NOT NULL,
    PRIMARY KEY (holder, kind)
);

-- Medical settlements made with the card as the insured's identity.
CREATE TABLE card_medical (
    id        BIGINT PRIMARY KEY,
    card      TEXT NOT NULL,
    holder    TEXT NOT NULL,
    party     BIGINT NOT NULL,
    terminal  TEXT NOT NULL,
    total     BIGINT NOT NULL,
    insured   BIGINT NOT NULL,
    self_pay  BIGINT NOT NULL,
    at        BIGINT NOT NULL
);
CREATE INDEX card_medical_holder ON card_medical (holder, at);

-- Public bicycles out: the card, the dock, since when.
CREATE TABLE card_rentals (
    card  BIGINT PRIMARY KEY,
    dock  TEXT NOT NULL,
    at    BIGINT NOT NULL
);

-- Passes (月票) bought: a fare product with a duration, for a holder.
CREATE TABLE card_passes (
    transfer    BIGINT PRIMARY KEY,
    holder      TEXT NOT NULL,
    product     TEXT NOT NULL,
    valid_from  BIGINT NOT NULL,
    valid_until BIGINT NOT NULL,
    bought_at   BIGINT NOT NULL
);
