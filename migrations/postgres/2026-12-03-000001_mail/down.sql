DROP TABLE outbox;
DROP TABLE subscribers;
ALTER TABLE comments DROP COLUMN erased_at;
ALTER TABLE comments DROP COLUMN notify_replies;
ALTER TABLE users DROP COLUMN digest_sent_at;
ALTER TABLE users DROP COLUMN notify_on;
ALTER TABLE users DROP COLUMN email;
