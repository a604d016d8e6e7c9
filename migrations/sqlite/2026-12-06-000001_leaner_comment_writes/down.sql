DROP INDEX comments_wordpress_id;
CREATE UNIQUE INDEX comments_wordpress_id ON comments (wordpress_id);

CREATE TABLE spent_form_tokens_rowid (
    token_hash TEXT PRIMARY KEY NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
INSERT INTO spent_form_tokens_rowid (token_hash, expires_at) SELECT token_hash, expires_at FROM spent_form_tokens;
DROP TABLE spent_form_tokens;
ALTER TABLE spent_form_tokens_rowid RENAME TO spent_form_tokens;
CREATE INDEX spent_form_tokens_expires ON spent_form_tokens (expires_at);
