-- A question (a comment that answers none) stays out of the index of the
-- comments that answer others: one page fewer to write when it is asked.
-- Every lookup by parent names one, and so still finds it here.
DROP INDEX comments_parent;
CREATE INDEX comments_parent ON comments (parent_id) WHERE parent_id IS NOT NULL;
