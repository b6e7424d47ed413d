-- The hotline's knowledge base: articles and the words they are found by
-- (cut by the domain's segmenter, so Chinese is searched by words).
CREATE TABLE kb_articles (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    category    TEXT,
    length      INTEGER NOT NULL,
    version     INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE kb_terms (
    term        TEXT NOT NULL,
    article_id  INTEGER NOT NULL,
    tf          INTEGER NOT NULL,
    PRIMARY KEY (term, article_id)
);
CREATE INDEX kb_terms_article ON kb_terms(article_id);
