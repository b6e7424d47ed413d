-- The hotline's knowledge base: articles and the words they are found by
-- (cut by the domain's segmenter, so Chinese is searched by words).
CREATE TABLE kb_articles (
    id          BIGSERIAL PRIMARY KEY,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    category    TEXT,
    length      BIGINT NOT NULL,
    version     BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE kb_terms (
    term        TEXT NOT NULL,
    article_id  BIGINT NOT NULL,
    tf          BIGINT NOT NULL,
    PRIMARY KEY (term, article_id)
);
CREATE INDEX kb_terms_article ON kb_terms(article_id);
