-- Where the site writes to the author and moderators, and what they want
-- to hear of: every comment, questions only, a daily digest, or nothing.
ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN notify_on TEXT NOT NULL DEFAULT 'questions';
ALTER TABLE users ADD COLUMN digest_sent_at TIMESTAMP;

-- A reader may also ask to hear of other readers' replies; an erased
-- comment keeps its place (its replies stay) but nothing it said.
ALTER TABLE comments ADD COLUMN notify_replies BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE comments ADD COLUMN erased_at TIMESTAMP;

-- Addresses that asked for notices. Nothing but the confirmation goes to
-- an address until it is confirmed; a stopped address gets nothing more.
CREATE TABLE subscribers (
    email TEXT PRIMARY KEY NOT NULL,
    confirmed_at TIMESTAMP,
    stopped_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);

-- Every message to send, written in the same transaction as the event that
-- causes it; a sender claims due rows with a lease, delivers and records.
CREATE TABLE outbox (
    id SERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    comment_id INTEGER,
    user_id INTEGER,
    dedupe_key TEXT NOT NULL UNIQUE,
    held BOOLEAN NOT NULL DEFAULT FALSE,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_until TIMESTAMP,
    sent_at TIMESTAMP,
    failed_at TIMESTAMP,
    last_error TEXT NOT NULL DEFAULT '',
    -- A digest lists what arrived after this.
    since TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX outbox_due ON outbox (sent_at, failed_at, next_attempt_at);
CREATE INDEX outbox_recipient ON outbox (recipient);
