//! Counters that instances sharing a database watch, so that a change made
//! through one of them (or the command line) reaches all: `content` counts
//! reloads of `content/`.

use diesel::prelude::*;

use super::schema::change_counters;
use super::AnyConnection;

/// Bumped by `healthblog reload` and SIGHUP: every instance reloads its articles.
pub const CONTENT: &str = "content";

/// The counter's value; 0 when it was never bumped.
pub fn get(conn: &mut AnyConnection, name: &str) -> QueryResult<i64> {
    Ok(change_counters::table.find(name).select(change_counters::value).first(conn).optional()?.unwrap_or(0))
}

/// Adds one to the counter and returns the new value.
pub fn bump(conn: &mut AnyConnection, name: &str) -> QueryResult<i64> {
    conn.transaction(|conn| {
        let updated = diesel::update(change_counters::table.find(name))
            .set(change_counters::value.eq(change_counters::value + 1))
            .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(change_counters::table)
                .values((change_counters::name.eq(name), change_counters::value.eq(1_i64)))
                .execute(conn)?;
        }
        get(conn, name)
    })
}
