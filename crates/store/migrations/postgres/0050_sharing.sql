-- Resource sharing (资源共享): the catalogue of the departments' information
-- resources, subscriptions to them, their access keys and the log of every
-- read; and enterprise basic information assembled from three feeds.

-- A resource's catalogue entry. `fields` is the JSON list of its fields;
-- `source` says where its rows come from: `rows` the owner publishes, or
-- `enterprise`, the records assembled from the feeds (one such resource).
CREATE TABLE sharing_resources (
    id            BIGSERIAL PRIMARY KEY,
    owner         TEXT NOT NULL,
    name          TEXT NOT NULL,
    description   TEXT NOT NULL,
    fields        TEXT NOT NULL,
    update_cycle  TEXT NOT NULL,
    class         TEXT NOT NULL,
    basis         TEXT NOT NULL,
    source        TEXT NOT NULL,
    row_count     BIGINT NOT NULL DEFAULT 0,
    data_at       BIGINT,
    created_by    BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    UNIQUE (owner, name)
);
CREATE UNIQUE INDEX sharing_one_enterprise_resource ON sharing_resources (source) WHERE source = 'enterprise';

-- The rows the owner published last, replaced whole at each publication.
CREATE TABLE sharing_rows (
    resource_id  BIGINT NOT NULL,
    seq          BIGINT NOT NULL,
    data         TEXT NOT NULL,
    PRIMARY KEY (resource_id, seq)
);

-- A department's subscription to a resource: the fields it may read, why,
-- and where it stands (requested, approved, refused, revoked).
CREATE TABLE sharing_subscriptions (
    id             BIGSERIAL PRIMARY KEY,
    resource_id    BIGINT NOT NULL,
    subscriber     TEXT NOT NULL,
    fields         TEXT NOT NULL,
    purpose        TEXT NOT NULL,
    basis          TEXT NOT NULL,
    state          TEXT NOT NULL,
    asked_by       BIGINT NOT NULL,
    asked_at       BIGINT NOT NULL,
    decided_by     BIGINT,
    decided_at     BIGINT,
    decision       TEXT NOT NULL DEFAULT '',
    revoked_by     BIGINT,
    revoked_at     BIGINT,
    revocation     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sharing_subscriptions_resource ON sharing_subscriptions (resource_id);
CREATE INDEX sharing_subscriptions_subscriber ON sharing_subscriptions (subscriber);

-- Access keys of a subscription: the secret is shown once and kept only
-- as its SHA-256.
CREATE TABLE sharing_keys (
    id               BIGSERIAL PRIMARY KEY,
    subscription_id  BIGINT NOT NULL,
    name             TEXT NOT NULL,
    secret_hash      TEXT NOT NULL UNIQUE,
    created_by       BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    revoked_by       BIGINT,
    revoked_at       BIGINT
);
CREATE INDEX sharing_keys_subscription ON sharing_keys (subscription_id);

-- Every read through a key, refused ones too: when, from where, how many
-- rows, and the outcome (`read`, or the refusal's code).
CREATE TABLE sharing_reads (
    id               BIGSERIAL PRIMARY KEY,
    subscription_id  BIGINT NOT NULL,
    key_id           BIGINT NOT NULL,
    at               BIGINT NOT NULL,
    row_count        BIGINT NOT NULL,
    client           TEXT NOT NULL,
    outcome          TEXT NOT NULL
);
CREATE INDEX sharing_reads_subscription ON sharing_reads (subscription_id, id);

-- Which department submits each enterprise feed.
CREATE TABLE enterprise_feed_orgs (
    feed  TEXT PRIMARY KEY,
    org   TEXT NOT NULL
);

-- What each feed last said of each enterprise.
CREATE TABLE enterprise_sources (
    credit_code   TEXT NOT NULL,
    feed          TEXT NOT NULL,
    data          TEXT NOT NULL,
    submitted_by  BIGINT NOT NULL,
    submitted_at  BIGINT NOT NULL,
    PRIMARY KEY (credit_code, feed)
);

-- The owners' choices where feeds disagree, with the values chosen among.
CREATE TABLE enterprise_resolutions (
    credit_code  TEXT NOT NULL,
    field        TEXT NOT NULL,
    value        TEXT NOT NULL,
    seen         TEXT NOT NULL,
    reason       TEXT NOT NULL,
    actor        BIGINT NOT NULL,
    at           BIGINT NOT NULL,
    PRIMARY KEY (credit_code, field)
);

-- Each enterprise as assembled, kept in step with its sources in the same
-- write; `conflicts` counts the disagreements no resolution settles.
CREATE TABLE enterprise_records (
    credit_code  TEXT PRIMARY KEY,
    data         TEXT NOT NULL,
    conflicts    BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX enterprise_records_conflicted ON enterprise_records (conflicts, credit_code);
