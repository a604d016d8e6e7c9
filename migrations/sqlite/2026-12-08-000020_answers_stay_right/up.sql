-- The author's saved replies: a title, a Markdown text, and whether the
-- standard disclaimer (`[answers] disclaimer`) is added under it.
CREATE TABLE saved_replies (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    add_disclaimer BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- The author's answers: when he last confirmed one is still right (NULL: not
-- since he wrote it), and why it waits for his review besides its age (the
-- article changed in revision `review_revision`; empty: no reason).
ALTER TABLE comments ADD COLUMN reviewed_at TIMESTAMP;
ALTER TABLE comments ADD COLUMN review_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE comments ADD COLUMN review_revision INTEGER;
-- Dated notes the author adds under an answer ("Since 2024 the guidance is …").
CREATE TABLE answer_notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    comment_id INTEGER NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    body_markdown TEXT NOT NULL,
    body_html TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX answer_notes_of_comment ON answer_notes (comment_id, id);
