DROP INDEX comments_wordpress_id;
CREATE UNIQUE INDEX comments_wordpress_id ON comments (wordpress_id);

CREATE INDEX spent_form_tokens_expires ON spent_form_tokens (expires_at);
