-- Application materials (PostgreSQL): each distinct content once, addressed
-- by its SHA-256, and the files a case holds, pointing at their content.
CREATE TABLE material_blobs (
    sha256      TEXT COLLATE "C" PRIMARY KEY,
    size        BIGINT NOT NULL,
    content     BYTEA NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE case_materials (
    id            BIGSERIAL PRIMARY KEY,
    case_number   TEXT COLLATE "C" NOT NULL REFERENCES cases(number),
    material      TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    sha256        TEXT COLLATE "C" NOT NULL REFERENCES material_blobs(sha256),
    size          BIGINT NOT NULL,
    content_type  TEXT NOT NULL,
    added_by      TEXT NOT NULL,
    added_at      BIGINT NOT NULL
);
CREATE INDEX case_materials_case ON case_materials(case_number);
