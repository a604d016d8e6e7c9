-- A reader's comment writes fewer pages, so that its commit is smaller.

-- Spent tokens are found by their hash alone: keyed by it, without a rowid
-- beside it, and without the index on their expiry (the hourly purge
-- forgets expired ones in one pass), each one is one page to write.
CREATE TABLE spent_form_tokens_keyed (
    token_hash TEXT PRIMARY KEY NOT NULL,
    expires_at TIMESTAMP NOT NULL
) WITHOUT ROWID;
INSERT INTO spent_form_tokens_keyed (token_hash, expires_at) SELECT token_hash, expires_at FROM spent_form_tokens;
DROP TABLE spent_form_tokens;
ALTER TABLE spent_form_tokens_keyed RENAME TO spent_form_tokens;

-- Only imported comments have a WordPress id: the others stay out of its index.
DROP INDEX comments_wordpress_id;
CREATE UNIQUE INDEX comments_wordpress_id ON comments (wordpress_id) WHERE wordpress_id IS NOT NULL;
