DROP TABLE sessions;
DROP TABLE login_attempts;
DROP TABLE moderation_log;
DROP TABLE settings;
DROP TABLE comments;
DROP TABLE users;
