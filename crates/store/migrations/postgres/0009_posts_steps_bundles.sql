-- Posts (岗位) held by staff, each step's due date, and one-stop bundles (PostgreSQL).
CREATE TABLE staff_posts (
    user_id  BIGINT NOT NULL REFERENCES users(id),
    org      TEXT NOT NULL REFERENCES organisations(code),
    post     TEXT NOT NULL,
    PRIMARY KEY (user_id, org, post)
);

ALTER TABLE cases ADD COLUMN step_due TEXT;
ALTER TABLE cases ADD COLUMN bundle_number TEXT COLLATE "C";
CREATE INDEX cases_bundle ON cases(bundle_number);

-- 一件事一次办: which items a bundle covers is configuration, kept as JSON.
CREATE TABLE bundles (
    code        TEXT COLLATE "C" PRIMARY KEY,
    region      TEXT COLLATE "C" NOT NULL,
    spec        TEXT NOT NULL,
    active      BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE bundle_applications (
    id                BIGSERIAL PRIMARY KEY,
    number            TEXT COLLATE "C" NOT NULL UNIQUE,
    query_code        TEXT NOT NULL,
    bundle_code       TEXT COLLATE "C" NOT NULL REFERENCES bundles(code),
    applicant_user    BIGINT REFERENCES users(id),
    applicant_public  TEXT NOT NULL,
    channel           TEXT NOT NULL,
    submitted_at      BIGINT NOT NULL
);
CREATE INDEX bundle_applications_applicant ON bundle_applications(applicant_user);
