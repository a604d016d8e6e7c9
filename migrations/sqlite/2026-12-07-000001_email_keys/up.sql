-- Comments are found by their writer's address through a key stored beside
-- it (`domain::EmailKey`: the address trimmed and in lower case), in an
-- index: a look-up by `lower(author_email)` read every comment. The server
-- fills the key for every comment it writes, and here for those written
-- before; after this migration it checks each of them against its own
-- normalisation (`db::comments::rekey_addresses`). The default only lets
-- SQLite add the column: every insert names the key.
ALTER TABLE comments ADD COLUMN author_email_key TEXT NOT NULL DEFAULT '';
UPDATE comments SET author_email_key = lower(trim(author_email));
DROP INDEX comments_email;
CREATE INDEX comments_email_key ON comments (author_email_key);
