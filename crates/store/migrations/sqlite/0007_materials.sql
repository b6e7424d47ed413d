-- Application materials (SQLite): each distinct content once, addressed by
-- its SHA-256, and the files a case holds, pointing at their content.
CREATE TABLE material_blobs (
    sha256      TEXT PRIMARY KEY,
    size        INTEGER NOT NULL,
    content     BLOB NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE case_materials (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    case_number   TEXT NOT NULL REFERENCES cases(number),
    material      TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    sha256        TEXT NOT NULL REFERENCES material_blobs(sha256),
    size          INTEGER NOT NULL,
    content_type  TEXT NOT NULL,
    added_by      TEXT NOT NULL,
    added_at      INTEGER NOT NULL
);
CREATE INDEX case_materials_case ON case_materials(case_number);
