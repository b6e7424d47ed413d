-- Files kept from a form that was refused (an application, a one-stop
-- application, a counter registration), so that the person does not choose
-- them again: the bytes are stored like any material (material_blobs), and
-- a row here says whose they are. A later submission names them by hash and
-- is given only those kept for the same account.
CREATE TABLE kept_uploads (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL,
    sha256     TEXT COLLATE "C" NOT NULL REFERENCES material_blobs(sha256),
    file_name  TEXT NOT NULL,
    size       BIGINT NOT NULL,
    kept_at    BIGINT NOT NULL
);
CREATE INDEX kept_uploads_user ON kept_uploads (user_id, sha256);
