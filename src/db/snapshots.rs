//! The SQLite file itself, for `healthblog backup` and `restore`: a
//! consistent copy taken while the server writes, and SQLite's own check of
//! a copy.

use std::path::Path;

use diesel::prelude::*;
use diesel::sql_types::Text;

/// Writes one consistent snapshot of the database `conn` is open on to
/// `target` (SQLite's `VACUUM INTO`), while others go on writing.
pub fn vacuum_into(conn: &mut SqliteConnection, target: &Path) -> QueryResult<()> {
    diesel::sql_query("VACUUM INTO ?").bind::<Text, _>(target.to_string_lossy()).execute(conn).map(drop)
}

#[derive(QueryableByName)]
struct IntegrityCheck {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

/// What SQLite's `integrity_check` finds wrong with the database: nothing
/// when it is sound.
pub fn integrity_problems(conn: &mut SqliteConnection) -> QueryResult<Vec<String>> {
    let rows: Vec<IntegrityCheck> = diesel::sql_query("PRAGMA integrity_check").load(conn)?;
    Ok(rows.into_iter().map(|r| r.integrity_check).filter(|r| r != "ok").collect())
}
