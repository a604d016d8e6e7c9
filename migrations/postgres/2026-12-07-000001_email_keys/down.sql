DROP INDEX comments_email_key;
CREATE INDEX comments_email ON comments (author_email);
ALTER TABLE comments DROP COLUMN author_email_key;
