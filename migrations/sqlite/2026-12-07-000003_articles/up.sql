-- The articles and pages (kind 'post' or 'page'): what every instance
-- serves. The fields are those of the front matter, as last saved; every
-- saved version is kept in article_revisions.
CREATE TABLE articles (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    kind TEXT NOT NULL,
    slug TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    summary TEXT NOT NULL,
    tags TEXT NOT NULL,
    author TEXT NOT NULL,
    publish_at TIMESTAMP NOT NULL,
    updated TIMESTAMP,
    reviewed TIMESTAMP,
    reviewed_by TEXT NOT NULL,
    article_references TEXT NOT NULL,
    comments_open BOOLEAN NOT NULL,
    draft BOOLEAN NOT NULL,
    image TEXT NOT NULL,
    image_alt TEXT NOT NULL,
    -- The revision these fields are, and the one last read from a file.
    current_revision INTEGER NOT NULL,
    file_revision INTEGER,
    file_path TEXT,
    file_hash TEXT,
    -- Said on the article in the desk when a file and the desk both changed it.
    file_conflict TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (kind, slug)
);

-- Every saved version of an article: the fields, where it came from
-- ('desk', 'file' or 'import'), who saved it and when; for a file, its
-- path and the SHA-256 of its text.
CREATE TABLE article_revisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles (id),
    slug TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    summary TEXT NOT NULL,
    tags TEXT NOT NULL,
    author TEXT NOT NULL,
    publish_at TIMESTAMP NOT NULL,
    updated TIMESTAMP,
    reviewed TIMESTAMP,
    reviewed_by TEXT NOT NULL,
    article_references TEXT NOT NULL,
    comments_open BOOLEAN NOT NULL,
    draft BOOLEAN NOT NULL,
    image TEXT NOT NULL,
    image_alt TEXT NOT NULL,
    source TEXT NOT NULL,
    saved_by TEXT NOT NULL,
    saved_at TIMESTAMP NOT NULL,
    file_path TEXT,
    file_hash TEXT
);
CREATE INDEX article_revisions_of_article ON article_revisions (article_id, id);
