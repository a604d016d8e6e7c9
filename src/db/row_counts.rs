//! Rows per table: what a backup's manifest records, and what a restore
//! checks its copy of the database against before it switches.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::Text;

use super::schema::{comments, media, media_variants, moderation_log, outbox, redirects, settings, subscribers, users};
use super::AnyConnection;

/// The tables that hold what the site is made of (the others keep sessions,
/// throttles and spent tokens, which come and go).
pub const COUNTED: &[&str] = &[
    "comments",
    "media",
    "media_variants",
    "moderation_log",
    "outbox",
    "redirects",
    "settings",
    "subscribers",
    "users",
];

/// The rows in `table`, or `None` for a table that is not counted.
pub fn count(conn: &mut AnyConnection, table: &str) -> QueryResult<Option<i64>> {
    let rows = match table {
        "comments" => comments::table.count().get_result(conn)?,
        "media" => media::table.count().get_result(conn)?,
        "media_variants" => media_variants::table.count().get_result(conn)?,
        "moderation_log" => moderation_log::table.count().get_result(conn)?,
        "outbox" => outbox::table.count().get_result(conn)?,
        "redirects" => redirects::table.count().get_result(conn)?,
        "settings" => settings::table.count().get_result(conn)?,
        "subscribers" => subscribers::table.count().get_result(conn)?,
        "users" => users::table.count().get_result(conn)?,
        _ => return Ok(None),
    };
    Ok(Some(rows))
}

/// The rows of every counted table that the database has: one written by an
/// older version may lack the newer tables.
pub fn count_all(conn: &mut AnyConnection) -> QueryResult<BTreeMap<String, i64>> {
    let present = table_names(conn)?;
    let mut counts = BTreeMap::new();
    for table in COUNTED.iter().filter(|table| present.iter().any(|name| name == *table)) {
        if let Some(rows) = count(conn, table)? {
            counts.insert((*table).to_owned(), rows);
        }
    }
    Ok(counts)
}

#[derive(QueryableByName)]
struct TableName {
    #[diesel(sql_type = Text)]
    name: String,
}

fn table_names(conn: &mut AnyConnection) -> QueryResult<Vec<String>> {
    let names: Vec<TableName> = match conn {
        AnyConnection::Sqlite(conn) => {
            diesel::sql_query("SELECT name FROM sqlite_master WHERE type = 'table'").load(conn)?
        }
        AnyConnection::Postgresql(conn) => diesel::sql_query(
            "SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = current_schema()",
        )
        .load(conn)?,
    };
    Ok(names.into_iter().map(|table| table.name).collect())
}
