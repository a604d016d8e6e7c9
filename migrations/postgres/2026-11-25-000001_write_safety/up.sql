-- Nothing read the stored depth of a comment: threads are built from parent_id.
ALTER TABLE comments DROP COLUMN depth;

-- A comment form's token works once: spent tokens are kept until they
-- would have expired anyway.
CREATE TABLE spent_form_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX spent_form_tokens_expires ON spent_form_tokens (expires_at);

-- One row that /healthz rewrites, to prove that the database can still write.
CREATE TABLE heartbeat (
    id INTEGER PRIMARY KEY NOT NULL,
    checked_at TIMESTAMP NOT NULL
);
INSERT INTO heartbeat (id, checked_at) VALUES (1, CURRENT_TIMESTAMP);
