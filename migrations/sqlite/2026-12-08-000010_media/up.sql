-- The pictures uploaded in the desk (or brought in by an import): one row
-- per picture, keyed by the hash of the bytes uploaded, with its
-- description; its sizes, re-encoded without metadata, in media_variants.
CREATE TABLE media (
    hash TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    alt TEXT NOT NULL,
    caption TEXT NOT NULL,
    -- 'jpg', 'png', 'gif' or 'webp': the format the picture came in.
    ext TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    uploaded_bytes BIGINT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at TIMESTAMP NOT NULL
);

-- Each size of a picture in each format, as served at
-- /media/{hash}-{width}.{ext}.
CREATE TABLE media_variants (
    hash TEXT NOT NULL REFERENCES media (hash) ON DELETE CASCADE,
    width INTEGER NOT NULL,
    ext TEXT NOT NULL,
    height INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (hash, width, ext)
);
