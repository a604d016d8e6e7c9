//! Queries on the `comments` table.

use std::collections::HashMap;

use diesel::dsl::count_star;
use diesel::prelude::*;

use super::schema::comments;
use super::AnyConnection;

/// Approved-comment counts for the given articles, in one query. Articles
/// without comments are absent from the map.
pub fn approved_counts(conn: &mut AnyConnection, slugs: &[String]) -> QueryResult<HashMap<String, i64>> {
    if slugs.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, i64)> = comments::table
        .filter(comments::status.eq("approved"))
        .filter(comments::post_slug.eq_any(slugs))
        .group_by(comments::post_slug)
        .select((comments::post_slug, count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}
