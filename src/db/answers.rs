//! The author's answers kept right: saved replies, review dates and notes
//! under answers (`saved_replies`, `answer_notes`, and the review columns of
//! `comments`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{answer_notes, comments, saved_replies};
use super::{now, AnyConnection};
use crate::domain::{CommentId, CommentStatus};
use crate::markdown::SafeHtml;

/// A reply the author keeps to use again.
#[derive(Clone, Debug, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = saved_replies)]
pub struct SavedReply {
    pub id: i32,
    pub title: String,
    pub body: String,
    pub add_disclaimer: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// What the author typed for a saved reply.
#[derive(Debug, Clone, Default)]
pub struct SavedReplyFields {
    pub title: String,
    pub body: String,
    pub add_disclaimer: bool,
}

pub fn saved_replies(conn: &mut AnyConnection) -> QueryResult<Vec<SavedReply>> {
    saved_replies::table
        .order((saved_replies::title.asc(), saved_replies::id.asc()))
        .select(SavedReply::as_select())
        .load(conn)
}

pub fn saved_reply(conn: &mut AnyConnection, id: i32) -> QueryResult<Option<SavedReply>> {
    saved_replies::table.find(id).select(SavedReply::as_select()).first(conn).optional()
}

pub fn create_saved_reply(conn: &mut AnyConnection, fields: &SavedReplyFields) -> QueryResult<i32> {
    let now = now();
    diesel::insert_into(saved_replies::table)
        .values((
            saved_replies::title.eq(&fields.title),
            saved_replies::body.eq(&fields.body),
            saved_replies::add_disclaimer.eq(fields.add_disclaimer),
            saved_replies::created_at.eq(now),
            saved_replies::updated_at.eq(now),
        ))
        .returning(saved_replies::id)
        .get_result(conn)
}

/// Whether reply `id` was there to change.
pub fn update_saved_reply(conn: &mut AnyConnection, id: i32, fields: &SavedReplyFields) -> QueryResult<bool> {
    diesel::update(saved_replies::table.find(id))
        .set((
            saved_replies::title.eq(&fields.title),
            saved_replies::body.eq(&fields.body),
            saved_replies::add_disclaimer.eq(fields.add_disclaimer),
            saved_replies::updated_at.eq(now()),
        ))
        .execute(conn)
        .map(|rows| rows > 0)
}

pub fn delete_saved_reply(conn: &mut AnyConnection, id: i32) -> QueryResult<bool> {
    diesel::delete(saved_replies::table.find(id)).execute(conn).map(|rows| rows > 0)
}

/// A question the author answered, with his (first) approved answer.
#[derive(Clone, Debug)]
pub struct AnsweredQuestion {
    pub question_id: CommentId,
    pub question: String,
    pub post_slug: String,
    pub answer_id: CommentId,
    pub answer: String,
}

/// Every approved question from a reader that has an approved answer from
/// the author, oldest answer first.
pub fn answered_questions(conn: &mut AnyConnection) -> QueryResult<Vec<AnsweredQuestion>> {
    let (answer, asked) = diesel::alias!(comments as answer, comments as asked);
    let rows: Vec<(CommentId, String, String, CommentId, String)> = answer
        .inner_join(asked.on(answer.field(comments::parent_id).eq(asked.field(comments::id).nullable())))
        .filter(answer.field(comments::user_id).is_not_null())
        .filter(answer.field(comments::status).eq(CommentStatus::Approved))
        .filter(asked.field(comments::user_id).is_null())
        .filter(asked.field(comments::status).eq(CommentStatus::Approved))
        .filter(asked.field(comments::erased_at).is_null())
        .order((answer.field(comments::created_at).asc(), answer.field(comments::id).asc()))
        .select((
            asked.field(comments::id),
            asked.field(comments::body_markdown),
            asked.field(comments::post_slug),
            answer.field(comments::id),
            answer.field(comments::body_markdown),
        ))
        .load(conn)?;
    let mut seen = std::collections::HashSet::new();
    Ok(rows
        .into_iter()
        .filter(|row| seen.insert(row.0))
        .map(|(question_id, question, post_slug, answer_id, answer)| AnsweredQuestion {
            question_id,
            question,
            post_slug,
            answer_id,
            answer,
        })
        .collect())
}

/// One of the author's published answers, with what its review needs.
#[derive(Clone, Debug, Queryable)]
pub struct AnswerUnderReview {
    pub id: CommentId,
    pub post_slug: String,
    pub parent_id: Option<CommentId>,
    pub body_markdown: String,
    pub created_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
    pub reviewed_at: Option<NaiveDateTime>,
    pub review_reason: String,
    pub review_revision: Option<i32>,
}

impl AnswerUnderReview {
    /// When the author last said it is right: its review, its last edit, or
    /// when he wrote it.
    pub fn last_reviewed(&self) -> NaiveDateTime {
        [Some(self.created_at), self.edited_at, self.reviewed_at].into_iter().flatten().max().unwrap_or(self.created_at)
    }
}

/// The author's approved answers, oldest review first.
pub fn published_answers(conn: &mut AnyConnection) -> QueryResult<Vec<AnswerUnderReview>> {
    comments::table
        .filter(comments::user_id.is_not_null())
        .filter(comments::parent_id.is_not_null())
        .filter(comments::status.eq(CommentStatus::Approved))
        .filter(comments::erased_at.is_null())
        .order((comments::created_at.asc(), comments::id.asc()))
        .select((
            comments::id,
            comments::post_slug,
            comments::parent_id,
            comments::body_markdown,
            comments::created_at,
            comments::edited_at,
            comments::reviewed_at,
            comments::review_reason,
            comments::review_revision,
        ))
        .load(conn)
}

/// The author confirmed answer `id` is still right at `at`: its review date
/// moves and any reason to review it is cleared.
pub fn mark_reviewed(conn: &mut AnyConnection, id: CommentId, at: NaiveDateTime) -> QueryResult<bool> {
    super::change_counters::touch(conn, super::change_counters::PAGES)?;
    diesel::update(comments::table.find(id).filter(comments::user_id.is_not_null()))
        .set((
            comments::reviewed_at.eq(Some(at)),
            comments::review_reason.eq(""),
            comments::review_revision.eq(None::<i32>),
        ))
        .execute(conn)
        .map(|rows| rows > 0)
}

/// Clears why answer `id` waits for review (its age still counts).
pub fn clear_review_reason(conn: &mut AnyConnection, id: CommentId) -> QueryResult<()> {
    diesel::update(comments::table.find(id))
        .set((comments::review_reason.eq(""), comments::review_revision.eq(None::<i32>)))
        .execute(conn)
        .map(drop)
}

/// Marks every approved answer of the author under `slug` written before
/// `changed_at` for review: the article changed in `revision`.
pub fn mark_article_changed(
    conn: &mut AnyConnection,
    slug: &str,
    changed_at: NaiveDateTime,
    revision: i32,
    reason: &str,
) -> QueryResult<usize> {
    diesel::update(
        comments::table
            .filter(comments::post_slug.eq(slug))
            .filter(comments::user_id.is_not_null())
            .filter(comments::parent_id.is_not_null())
            .filter(comments::status.eq(CommentStatus::Approved))
            .filter(comments::created_at.lt(changed_at)),
    )
    .set((comments::review_reason.eq(reason), comments::review_revision.eq(Some(revision))))
    .execute(conn)
}

/// A dated note the author added under an answer.
#[derive(Clone, Debug, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = answer_notes)]
pub struct AnswerNote {
    pub id: i32,
    pub comment_id: CommentId,
    pub body_markdown: String,
    pub body_html: SafeHtml,
    pub created_at: NaiveDateTime,
}

/// Adds a note under answer `id`; it counts as a review.
pub fn add_note(conn: &mut AnyConnection, id: CommentId, markdown: &str, html: &SafeHtml) -> QueryResult<()> {
    let at = now();
    diesel::insert_into(answer_notes::table)
        .values((
            answer_notes::comment_id.eq(id),
            answer_notes::body_markdown.eq(markdown),
            answer_notes::body_html.eq(html.as_str()),
            answer_notes::created_at.eq(at),
        ))
        .execute(conn)?;
    mark_reviewed(conn, id, at).map(drop)
}

/// The notes under the answers `ids`, oldest first.
pub fn notes_of(conn: &mut AnyConnection, ids: &[CommentId]) -> QueryResult<Vec<AnswerNote>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    answer_notes::table
        .filter(answer_notes::comment_id.eq_any(ids))
        .order((answer_notes::created_at.asc(), answer_notes::id.asc()))
        .select(AnswerNote::as_select())
        .load(conn)
}
