DROP TABLE heartbeat;
DROP TABLE spent_form_tokens;
ALTER TABLE comments ADD COLUMN depth INTEGER NOT NULL DEFAULT 0;
