DROP INDEX comments_parent;
CREATE INDEX comments_parent ON comments (parent_id);
