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
