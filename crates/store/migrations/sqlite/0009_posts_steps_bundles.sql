-- Posts (岗位) held by staff, each step's due date, and one-stop bundles (SQLite).
CREATE TABLE staff_posts (
    user_id  INTEGER NOT NULL REFERENCES users(id),
    org      TEXT NOT NULL REFERENCES organisations(code),
    post     TEXT NOT NULL,
    PRIMARY KEY (user_id, org, post)
);

ALTER TABLE cases ADD COLUMN step_due TEXT;
ALTER TABLE cases ADD COLUMN bundle_number TEXT;
CREATE INDEX cases_bundle ON cases(bundle_number);

-- 一件事一次办: which items a bundle covers is configuration, kept as JSON.
CREATE TABLE bundles (
    code        TEXT PRIMARY KEY,
    region      TEXT NOT NULL,
    spec        TEXT NOT NULL,
    active      INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE bundle_applications (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    number            TEXT NOT NULL UNIQUE,
    query_code        TEXT NOT NULL,
    bundle_code       TEXT NOT NULL REFERENCES bundles(code),
    applicant_user    INTEGER REFERENCES users(id),
    applicant_public  TEXT NOT NULL,
    channel           TEXT NOT NULL,
    submitted_at      INTEGER NOT NULL
);
CREATE INDEX bundle_applications_applicant ON bundle_applications(applicant_user);
