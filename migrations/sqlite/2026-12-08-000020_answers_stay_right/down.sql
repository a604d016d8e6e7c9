DROP INDEX answer_notes_of_comment;
DROP TABLE answer_notes;
ALTER TABLE comments DROP COLUMN review_revision;
ALTER TABLE comments DROP COLUMN review_reason;
ALTER TABLE comments DROP COLUMN reviewed_at;
DROP TABLE saved_replies;
