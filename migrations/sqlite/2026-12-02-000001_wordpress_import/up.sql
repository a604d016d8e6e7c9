-- The WordPress comment a row was imported from, so that a second import
-- recognises it; NULL for comments written here.
ALTER TABLE comments ADD COLUMN wordpress_id INTEGER;
CREATE UNIQUE INDEX comments_wordpress_id ON comments (wordpress_id);

-- Old WordPress addresses and where they live now (answered with a 301).
CREATE TABLE redirects (
    old_path TEXT PRIMARY KEY NOT NULL,
    target TEXT NOT NULL
);
