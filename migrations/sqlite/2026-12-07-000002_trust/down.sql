DROP INDEX comments_urgent;
ALTER TABLE comments DROP COLUMN redacted_at;
ALTER TABLE comments DROP COLUMN consent_method;
ALTER TABLE comments DROP COLUMN consent_at;
ALTER TABLE comments DROP COLUMN consent_version;
ALTER TABLE comments DROP COLUMN urgent;
