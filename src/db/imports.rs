//! What `healthblog import wordpress` reads and writes beyond a comment's
//! own row (`comments::submit::store` writes those): the comments of earlier
//! imports, the numbers in use, the redirects, and the accounts.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable};

use super::schema::{comments, redirects, users};
use super::AnyConnection;
use crate::domain::{CommentId, UserId};

/// A comment an earlier import stored: its id here and its article.
#[derive(Clone, Debug)]
pub struct Imported {
    pub id: CommentId,
    pub slug: String,
}

/// The comments of earlier imports, by WordPress number.
pub fn imported_comments(conn: &mut AnyConnection) -> QueryResult<HashMap<i32, Imported>> {
    let rows = comments::table
        .filter(comments::wordpress_id.is_not_null())
        .select((comments::wordpress_id.assume_not_null(), comments::id, comments::post_slug))
        .load::<(i32, CommentId, String)>(conn)?;
    Ok(rows.into_iter().map(|(wordpress_id, id, slug)| (wordpress_id, Imported { id, slug })).collect())
}

/// Every old address that already redirects.
pub fn redirect_paths(conn: &mut AnyConnection) -> QueryResult<HashSet<String>> {
    Ok(redirects::table.select(redirects::old_path).load::<String>(conn)?.into_iter().collect())
}

pub fn insert_redirect(conn: &mut AnyConnection, old_path: &str, target: &str) -> QueryResult<()> {
    diesel::insert_into(redirects::table)
        .values((redirects::old_path.eq(old_path), redirects::target.eq(target)))
        .execute(conn)
        .map(drop)
}

/// The id and display name of the account `username`.
pub fn account(conn: &mut AnyConnection, username: &str) -> QueryResult<Option<(UserId, String)>> {
    users::table
        .filter(users::username.eq(username))
        .select((users::id, users::display_name))
        .first::<(UserId, String)>(conn)
        .optional()
}

/// Takes the write lock on the comments first, inside the caller's
/// transaction, so that no comment posted meanwhile can take an id the
/// import keeps.
pub fn lock_comments(conn: &mut AnyConnection) -> QueryResult<()> {
    match conn {
        AnyConnection::Postgresql(pg) => diesel::sql_query("LOCK TABLE comments IN EXCLUSIVE MODE").execute(pg),
        AnyConnection::Sqlite(sqlite) => diesel::sql_query("UPDATE comments SET id = id WHERE 0").execute(sqlite),
    }
    .map(drop)
}

/// The ids of the comments stored now.
pub fn comment_ids(conn: &mut AnyConnection) -> QueryResult<HashSet<i32>> {
    Ok(comments::table.select(comments::id).load::<CommentId>(conn)?.into_iter().map(|id| id.0).collect())
}

#[derive(QueryableByName)]
struct Highest {
    #[diesel(sql_type = Nullable<BigInt>)]
    value: Option<i64>,
}

/// The highest comment id ever handed out, deleted comments included (0
/// before the first). An id at or below it may sit in a commenter's cookie
/// or a link in an email, so it is never given to another comment.
pub fn highest_comment_id_ever(conn: &mut AnyConnection) -> QueryResult<i32> {
    let highest = match conn {
        AnyConnection::Postgresql(pg) => diesel::sql_query(
            "SELECT pg_sequence_last_value(pg_get_serial_sequence('comments', 'id')::regclass) AS value",
        )
        .get_result::<Highest>(pg)?,
        // `comments.id` is AUTOINCREMENT: SQLite remembers the largest id
        // the table ever held, explicit ones included.
        AnyConnection::Sqlite(sqlite) => {
            diesel::sql_query("SELECT MAX(seq) AS value FROM sqlite_sequence WHERE name = 'comments'")
                .get_result::<Highest>(sqlite)?
        }
    };
    let highest = highest.value.unwrap_or(0);
    let stored = comments::table.select(diesel::dsl::max(comments::id)).first::<Option<CommentId>>(conn)?;
    Ok(i32::try_from(highest).unwrap_or(i32::MAX).max(stored.map_or(0, |id| id.0)))
}

/// After ids were chosen by the import: PostgreSQL's sequence goes on after
/// the highest of them, and never back (SQLite's AUTOINCREMENT does this by
/// itself).
pub fn keep_comment_ids_ahead(conn: &mut AnyConnection) -> QueryResult<()> {
    if let AnyConnection::Postgresql(pg) = conn {
        diesel::sql_query(
            "SELECT setval(pg_get_serial_sequence('comments', 'id'), GREATEST((SELECT MAX(id) FROM comments), \
             pg_sequence_last_value(pg_get_serial_sequence('comments', 'id')::regclass), 1))",
        )
        .execute(pg)?;
    }
    Ok(())
}
