//! Old addresses (of a WordPress site this blog replaced) and their new homes.

use diesel::prelude::*;

use super::schema::{comments, redirects};
use super::AnyConnection;
use crate::domain::CommentId;

/// The new address of `old_path` (decoded, without a trailing slash).
pub fn target(conn: &mut AnyConnection, old_path: &str) -> QueryResult<Option<String>> {
    redirects::table.find(old_path).select(redirects::target).first(conn).optional()
}

/// The article slug and id of the comment imported from WordPress comment
/// `wordpress_id`.
pub fn imported_comment(conn: &mut AnyConnection, wordpress_id: i32) -> QueryResult<Option<(String, CommentId)>> {
    comments::table
        .filter(comments::wordpress_id.eq(wordpress_id))
        .select((comments::post_slug, comments::id))
        .first(conn)
        .optional()
}

pub fn count(conn: &mut AnyConnection) -> QueryResult<i64> {
    redirects::table.count().get_result(conn)
}

/// Sends `old_path` to `target` (the address of `new_path`, as a
/// `Location` has it) from now on, replacing what it led to, and every
/// address that led to `old_path` there too; `new_path` itself leads
/// nowhere any more. Paths are decoded, as `target` looks them up.
pub fn move_address(conn: &mut AnyConnection, old_path: &str, new_path: &str, target: &str) -> QueryResult<()> {
    diesel::delete(redirects::table.filter(redirects::old_path.eq_any([old_path, new_path]))).execute(conn)?;
    let old_target = percent_encoding::utf8_percent_encode(old_path, percent_encoding::CONTROLS).to_string();
    diesel::update(redirects::table.filter(redirects::target.eq(old_target)))
        .set(redirects::target.eq(target))
        .execute(conn)?;
    diesel::insert_into(redirects::table)
        .values((redirects::old_path.eq(old_path), redirects::target.eq(target)))
        .execute(conn)
        .map(drop)
}
