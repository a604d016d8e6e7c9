-- Counters that every instance on the database watches: a change made on
-- one (a reload of content/, say) reaches all within a second.
CREATE TABLE change_counters (
    name TEXT PRIMARY KEY NOT NULL,
    value BIGINT NOT NULL
);
INSERT INTO change_counters (name, value) VALUES ('content', 0);
