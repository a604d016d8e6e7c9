-- Safe to ask: the emergency signs a comment showed (rule ids, comma-separated;
-- NULL once the author has seen to it), and the reader's consent to publish and
-- keep the health information they shared: which wording, when, and how.
ALTER TABLE comments ADD COLUMN urgent TEXT;
ALTER TABLE comments ADD COLUMN consent_version TEXT;
ALTER TABLE comments ADD COLUMN consent_at TIMESTAMP;
ALTER TABLE comments ADD COLUMN consent_method TEXT;
-- When the author removed personal details from its text (what was removed is kept nowhere).
ALTER TABLE comments ADD COLUMN redacted_at TIMESTAMP;
CREATE INDEX comments_urgent ON comments (created_at) WHERE urgent IS NOT NULL;
-- Imported comments still waiting for moderation start their wait now: their
-- time in the queue counts from when they came into this blog, not from their
-- WordPress date, so the retention purge never takes one the author has not seen.
UPDATE comments SET updated_at = strftime('%Y-%m-%d %H:%M:%f', 'now')
    WHERE wordpress_id IS NOT NULL AND status = 'pending';
