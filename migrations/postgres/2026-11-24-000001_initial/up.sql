CREATE TABLE users (
    id SERIAL PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'author',
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE comments (
    id SERIAL PRIMARY KEY,
    post_slug TEXT NOT NULL,
    parent_id INTEGER REFERENCES comments (id) ON DELETE CASCADE,
    depth INTEGER NOT NULL DEFAULT 0,
    author_name TEXT NOT NULL,
    author_email TEXT NOT NULL,
    author_url TEXT,
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    body_markdown TEXT NOT NULL,
    body_html TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    notify BOOLEAN NOT NULL DEFAULT FALSE,
    no_answer_needed BOOLEAN NOT NULL DEFAULT FALSE,
    ip_hash TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    edited_at TIMESTAMP
);
CREATE INDEX comments_post_status ON comments (post_slug, status, created_at);
CREATE INDEX comments_status_created ON comments (status, created_at);
CREATE INDEX comments_parent ON comments (parent_id);
CREATE INDEX comments_email ON comments (author_email);
CREATE INDEX comments_ip_created ON comments (ip_hash, created_at);

CREATE TABLE settings (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE moderation_log (
    id SERIAL PRIMARY KEY,
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    comment_id INTEGER,
    from_status TEXT,
    to_status TEXT,
    detail TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX moderation_log_created ON moderation_log (created_at);

CREATE TABLE login_attempts (
    id SERIAL PRIMARY KEY,
    username TEXT NOT NULL,
    ip_hash TEXT NOT NULL,
    succeeded BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX login_attempts_username ON login_attempts (username, created_at);
CREATE INDEX login_attempts_ip ON login_attempts (ip_hash, created_at);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    state TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);
