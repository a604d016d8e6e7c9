//! Queries on the `comments` table.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::schema::comments;
use super::AnyConnection;
use crate::domain::CommentStatus;

/// A stored comment.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = comments)]
pub struct Comment {
    pub id: i32,
    pub post_slug: String,
    pub parent_id: Option<i32>,
    pub depth: i32,
    pub author_name: String,
    pub author_email: String,
    pub author_url: Option<String>,
    pub user_id: Option<i32>,
    pub body_markdown: String,
    pub body_html: String,
    pub status: String,
    pub notify: bool,
    pub no_answer_needed: bool,
    pub ip_hash: String,
    pub user_agent: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
}

impl Comment {
    pub fn status(&self) -> CommentStatus {
        self.status.parse().unwrap_or(CommentStatus::Pending)
    }

    /// Written by a signed-in author or moderator.
    pub fn is_by_author(&self) -> bool {
        self.user_id.is_some()
    }
}

/// A comment about to be stored; its HTML was cleaned by `render_comment`.
#[derive(Debug, Insertable)]
#[diesel(table_name = comments)]
pub struct NewComment {
    pub post_slug: String,
    pub parent_id: Option<i32>,
    pub depth: i32,
    pub author_name: String,
    pub author_email: String,
    pub author_url: Option<String>,
    pub user_id: Option<i32>,
    pub body_markdown: String,
    pub body_html: String,
    pub status: String,
    pub notify: bool,
    pub ip_hash: String,
    pub user_agent: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut AnyConnection, comment: &NewComment) -> QueryResult<i32> {
    diesel::insert_into(comments::table).values(comment).returning(comments::id).get_result(conn)
}

pub fn find(conn: &mut AnyConnection, id: i32) -> QueryResult<Option<Comment>> {
    comments::table.find(id).select(Comment::as_select()).first(conn).optional()
}

/// The comments shown under an article, oldest first, in one query: every
/// approved one, plus the pending ones whose ids are in `own_pending` (the
/// visitor's own, still awaiting moderation).
pub fn for_article(conn: &mut AnyConnection, slug: &str, own_pending: &[i32]) -> QueryResult<Vec<Comment>> {
    comments::table
        .filter(comments::post_slug.eq(slug))
        .filter(
            comments::status
                .eq(CommentStatus::Approved.as_str())
                .or(comments::status.eq(CommentStatus::Pending.as_str()).and(comments::id.eq_any(own_pending))),
        )
        .order((comments::created_at.asc(), comments::id.asc()))
        .select(Comment::as_select())
        .load(conn)
}

/// The newest approved comments of an article, newest first.
pub fn latest_approved(conn: &mut AnyConnection, slug: &str, limit: i64) -> QueryResult<Vec<Comment>> {
    comments::table
        .filter(comments::post_slug.eq(slug))
        .filter(comments::status.eq(CommentStatus::Approved.as_str()))
        .order((comments::created_at.desc(), comments::id.desc()))
        .limit(limit)
        .select(Comment::as_select())
        .load(conn)
}

/// Approved-comment counts for the given articles, in one query. Articles
/// without comments are absent from the map.
pub fn approved_counts(conn: &mut AnyConnection, slugs: &[String]) -> QueryResult<HashMap<String, i64>> {
    if slugs.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, i64)> = comments::table
        .filter(comments::status.eq(CommentStatus::Approved.as_str()))
        .filter(comments::post_slug.eq_any(slugs))
        .group_by(comments::post_slug)
        .select((comments::post_slug, count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// How many comments came from `ip_hash` since `since`.
pub fn count_from_ip_since(conn: &mut AnyConnection, ip_hash: &str, since: NaiveDateTime) -> QueryResult<i64> {
    comments::table
        .filter(comments::ip_hash.eq(ip_hash))
        .filter(comments::created_at.ge(since))
        .select(count_star())
        .first(conn)
}

/// Whether this email already said exactly this under this article.
pub fn is_duplicate(conn: &mut AnyConnection, slug: &str, email: &str, body_markdown: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        comments::table
            .filter(comments::post_slug.eq(slug))
            .filter(comments::author_email.eq(email))
            .filter(comments::body_markdown.eq(body_markdown)),
    ))
    .get_result(conn)
}

/// Whether a comment from this email has been approved before.
pub fn has_approved_from(conn: &mut AnyConnection, email: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        comments::table
            .filter(comments::author_email.eq(email))
            .filter(comments::status.eq(CommentStatus::Approved.as_str()))
            .filter(comments::user_id.is_null()),
    ))
    .get_result(conn)
}
