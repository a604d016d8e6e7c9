//! What `healthblog export` reads.

use diesel::prelude::*;

use super::comments::Comment;
use super::schema::comments;
use super::AnyConnection;

/// Every comment, in every status, oldest first.
pub fn all_comments(conn: &mut AnyConnection) -> QueryResult<Vec<Comment>> {
    comments::table.order(comments::id.asc()).select(Comment::as_select()).load(conn)
}
