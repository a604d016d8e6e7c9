DROP TABLE redirects;
DROP INDEX comments_wordpress_id;
ALTER TABLE comments DROP COLUMN wordpress_id;
