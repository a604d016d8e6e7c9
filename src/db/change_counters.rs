//! Counters that instances sharing a database watch, so that a change made
//! through one of them (or the command line) reaches all: `content` counts
//! reloads of `content/`.

use diesel::prelude::*;

use super::schema::change_counters;
use super::AnyConnection;

/// Bumped by `healthblog reload` and SIGHUP: every instance reloads its articles.
pub const CONTENT: &str = "content";

/// Bumped by every write that changes what public pages show (comments,
/// settings): every instance empties its page cache.
pub const PAGES: &str = "pages";

/// Every counter, by name.
pub fn all(conn: &mut AnyConnection) -> QueryResult<std::collections::HashMap<String, i64>> {
    let rows: Vec<(String, i64)> =
        change_counters::table.select((change_counters::name, change_counters::value)).load(conn)?;
    Ok(rows.into_iter().collect())
}

/// The counter's value; 0 when it was never bumped.
pub fn get(conn: &mut AnyConnection, name: &str) -> QueryResult<i64> {
    Ok(change_counters::table.find(name).select(change_counters::value).first(conn).optional()?.unwrap_or(0))
}

/// Adds one to the counter and returns the new value.
pub fn bump(conn: &mut AnyConnection, name: &str) -> QueryResult<i64> {
    super::write(conn, |conn| {
        touch(conn, name)?;
        get(conn, name)
    })
}

/// Adds one to the counter, as part of the caller's write.
pub fn touch(conn: &mut AnyConnection, name: &str) -> QueryResult<()> {
    let updated = diesel::update(change_counters::table.find(name))
        .set(change_counters::value.eq(change_counters::value + 1))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(change_counters::table)
            .values((change_counters::name.eq(name), change_counters::value.eq(1_i64)))
            .execute(conn)?;
    }
    Ok(())
}
