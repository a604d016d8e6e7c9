-- A reader's comment writes fewer pages, so that its commit is smaller.

-- Spent tokens are found by their hash alone; the hourly purge forgets
-- expired ones in one pass, without an index on their expiry.
DROP INDEX spent_form_tokens_expires;

-- Only imported comments have a WordPress id: the others stay out of its index.
DROP INDEX comments_wordpress_id;
CREATE UNIQUE INDEX comments_wordpress_id ON comments (wordpress_id) WHERE wordpress_id IS NOT NULL;
