//! Queries on the `comments` table.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::schema::{comments, users};
use super::{lower, AnyConnection};
use crate::domain::{CommentId, CommentStatus, EmailKey, Role, UserId};
use crate::markdown::SafeHtml;

/// A stored comment.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = comments)]
pub struct Comment {
    pub id: CommentId,
    pub post_slug: String,
    pub parent_id: Option<CommentId>,
    pub author_name: String,
    pub author_email: String,
    pub author_url: Option<String>,
    pub user_id: Option<UserId>,
    pub body_markdown: String,
    pub body_html: SafeHtml,
    pub status: CommentStatus,
    pub notify: bool,
    pub no_answer_needed: bool,
    pub ip_hash: String,
    pub user_agent: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
    /// The writer also wants to hear of other readers' replies.
    pub notify_replies: bool,
    /// When the writer had it erased: it keeps its place for its replies,
    /// and nothing it said.
    pub erased_at: Option<NaiveDateTime>,
    /// What `author_email` is found by (empty for the author's own comments
    /// and erased ones).
    pub author_email_key: EmailKey,
    /// The emergency signs it showed (red-flag rule ids, comma-separated),
    /// until the author has seen to it.
    pub urgent: Option<String>,
    /// The consent wording's version the reader agreed to, when and how.
    pub consent_version: Option<String>,
    pub consent_at: Option<NaiveDateTime>,
    pub consent_method: Option<String>,
    /// When the author removed personal details from its text.
    pub redacted_at: Option<NaiveDateTime>,
    /// An answer of the author's: when he last confirmed it is still right.
    pub reviewed_at: Option<NaiveDateTime>,
}

impl Comment {
    /// Written by a signed-in author or moderator.
    pub fn is_by_author(&self) -> bool {
        self.user_id.is_some()
    }
}

/// A comment about to be stored. Made only by `comments::submit`, which
/// checks it against the rules first. Its empty fields are stored as NULL,
/// so that every comment is inserted by one statement that is prepared
/// once per connection.
#[derive(Debug, Insertable)]
#[diesel(table_name = comments, treat_none_as_default_value = false)]
pub struct NewComment {
    pub post_slug: String,
    pub parent_id: Option<CommentId>,
    pub author_name: String,
    pub author_email: String,
    /// Always `EmailKey::of(&author_email)`.
    pub author_email_key: EmailKey,
    pub author_url: Option<String>,
    pub user_id: Option<UserId>,
    pub body_markdown: String,
    pub body_html: SafeHtml,
    pub status: CommentStatus,
    pub notify: bool,
    pub notify_replies: bool,
    pub ip_hash: String,
    pub user_agent: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The WordPress comment it was imported from.
    pub wordpress_id: Option<i32>,
    pub urgent: Option<String>,
    pub consent_version: Option<String>,
    pub consent_at: Option<NaiveDateTime>,
    pub consent_method: Option<String>,
}

/// Stores `comment` under the id the database chooses, or under `kept_id`
/// (an imported comment's old id), and returns the row as stored. Call it
/// inside a transaction: on SQLite the id of an `INSERT … RETURNING`
/// arrives before an autocommit could fail, and that failure would go
/// unnoticed; a failed COMMIT is an error.
pub(crate) fn insert(
    conn: &mut AnyConnection,
    comment: &NewComment,
    kept_id: Option<CommentId>,
) -> QueryResult<Comment> {
    // The row's columns as `Comment` reads them (a `SelectBy` cannot be
    // returned through a MultiConnection).
    let columns = <Comment as Selectable<super::MultiBackend>>::construct_selection();
    let insert = diesel::insert_into(comments::table);
    let stored: Comment = match kept_id {
        None => insert.values(comment).returning(columns).get_result(conn)?,
        Some(id) => insert.values((comments::id.eq(id), comment)).returning(columns).get_result(conn)?,
    };
    // A comment awaiting moderation, or filtered, shows on no shared page:
    // only its writer sees it, on a page rendered for them.
    if stored.status == CommentStatus::Approved {
        pages_changed(conn)?;
    }
    Ok(stored)
}

/// Tells every instance's page cache that pages may show something else
/// now: part of each write to the comments.
fn pages_changed(conn: &mut AnyConnection) -> QueryResult<()> {
    super::change_counters::touch(conn, super::change_counters::PAGES)
}

pub fn find(conn: &mut AnyConnection, id: CommentId) -> QueryResult<Option<Comment>> {
    comments::table.find(id).select(Comment::as_select()).first(conn).optional()
}

/// Where a comment sits in its article's discussion, without its text:
/// enough to tell which page of a long discussion shows it.
#[derive(Clone, Copy, Debug, Queryable)]
pub struct Placement {
    pub id: CommentId,
    pub parent_id: Option<CommentId>,
    pub status: CommentStatus,
    pub erased_at: Option<NaiveDateTime>,
    /// The desk account that wrote it: its answers are told from questions.
    pub user_id: Option<UserId>,
}

/// The placements of an article's approved comments with their times,
/// oldest first: five small columns, from which a long discussion is paged
/// (only the page's comments are then read in full). Comments nobody sees (a
/// flood of spam, a long queue awaiting moderation) are never read; a
/// visitor's own are found by id (`own_with_times`), and
/// `comments::outlines` keeps these between changes.
pub fn approved_with_times(conn: &mut AnyConnection, slug: &str) -> QueryResult<Vec<(NaiveDateTime, Placement)>> {
    comments::table
        .filter(comments::post_slug.eq(slug))
        .filter(comments::status.eq(CommentStatus::Approved))
        .order((comments::created_at.asc(), comments::id.asc()))
        .select((comments::created_at, PLACEMENT_COLUMNS))
        .load(conn)
}

/// The placements of the comments `ids` that a visitor sees as their own
/// under article `slug` (awaiting moderation, filtered as spam, or
/// approved since), with their times. Found by id alone: given the article
/// and a status too, SQLite would walk the article's moderation queue.
pub fn own_with_times(
    conn: &mut AnyConnection,
    slug: &str,
    ids: &[CommentId],
) -> QueryResult<Vec<(NaiveDateTime, Placement)>> {
    let columns = (comments::post_slug.eq(slug), comments::created_at, PLACEMENT_COLUMNS);
    let rows: Vec<(bool, NaiveDateTime, Placement)> = match ids {
        [] => return Ok(Vec::new()),
        // One comment, as after posting it: a statement prepared once.
        [id] => comments::table.find(id).select(columns).load(conn)?,
        ids => comments::table.filter(comments::id.eq_any(ids)).select(columns).load(conn)?,
    };
    let shown = |(on_this_article, _, placement): &(bool, NaiveDateTime, Placement)| {
        *on_this_article
            && matches!(placement.status, CommentStatus::Approved | CommentStatus::Pending | CommentStatus::Spam)
    };
    Ok(rows.into_iter().filter(shown).map(|(_, at, placement)| (at, placement)).collect())
}

const PLACEMENT_COLUMNS: (comments::id, comments::parent_id, comments::status, comments::erased_at, comments::user_id) =
    (comments::id, comments::parent_id, comments::status, comments::erased_at, comments::user_id);

/// The comments `ids`, oldest first, each with the role of the desk account
/// that wrote it, in one query.
pub fn with_roles(conn: &mut AnyConnection, ids: &[CommentId]) -> QueryResult<Vec<(Comment, Option<Role>)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    comments::table
        .left_join(users::table)
        .filter(comments::id.eq_any(ids))
        .order((comments::created_at.asc(), comments::id.asc()))
        .select((Comment::as_select(), users::role.nullable()))
        .load(conn)
}

/// The newest approved comments of an article, newest first.
pub fn latest_approved(conn: &mut AnyConnection, slug: &str, limit: i64) -> QueryResult<Vec<Comment>> {
    comments::table
        .filter(comments::post_slug.eq(slug))
        .filter(comments::status.eq(CommentStatus::Approved))
        .filter(comments::erased_at.is_null())
        .order((comments::created_at.desc(), comments::id.desc()))
        .limit(limit)
        .select(Comment::as_select())
        .load(conn)
}

/// The placements of the approved comments of the given articles, with
/// each one's article, in one query: enough to count each discussion
/// (`comments::tally::Tally`) for a list of articles.
pub fn approved_placements(conn: &mut AnyConnection, slugs: &[String]) -> QueryResult<Vec<(String, Placement)>> {
    if slugs.is_empty() {
        return Ok(Vec::new());
    }
    comments::table
        .filter(comments::status.eq(CommentStatus::Approved))
        .filter(comments::post_slug.eq_any(slugs))
        .select((comments::post_slug, PLACEMENT_COLUMNS))
        .load(conn)
}

/// What the rules ask of a comment just inserted, answered in one query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Queryable)]
pub struct ArrivalChecks {
    /// Its address sent more than the limit since the window began, this
    /// comment included.
    pub too_frequent: bool,
    /// The same email already said exactly this under the same article, in
    /// another comment.
    pub duplicate: bool,
}

/// The rate limit (more than `limit` comments from `comment`'s address
/// hash since `since`) and the duplicate check for a comment just stored,
/// in one round trip. The rate limit reads at most `limit + 1` of the
/// address's comments, however many it sent.
pub fn arrival_checks(
    conn: &mut AnyConnection,
    comment: &Comment,
    since: NaiveDateTime,
    limit: u32,
) -> QueryResult<ArrivalChecks> {
    // A comment beyond the first `limit` in the window exists.
    let beyond_limit = comments::table
        .filter(comments::ip_hash.eq(&comment.ip_hash))
        .filter(comments::created_at.ge(since))
        .select(comments::id)
        .limit(1)
        .offset(i64::from(limit));
    let same_words = comments::table
        .filter(comments::id.ne(comment.id))
        .filter(comments::post_slug.eq(&comment.post_slug))
        .filter(comments::author_email_key.eq(&comment.author_email_key))
        .filter(comments::body_markdown.eq(&comment.body_markdown));
    diesel::select((diesel::dsl::exists(beyond_limit), diesel::dsl::exists(same_words))).get_result(conn)
}

/// Whether a comment from this address has been approved before.
pub fn has_approved_from(conn: &mut AnyConnection, email: &EmailKey) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        comments::table
            .filter(comments::author_email_key.eq(email))
            .filter(comments::status.eq(CommentStatus::Approved))
            .filter(comments::user_id.is_null()),
    ))
    .get_result(conn)
}

/// Comments in one moderation tab, newest first, optionally only those whose
/// text, name or email contains `search`; with the tab's total.
pub fn moderation_page(
    conn: &mut AnyConnection,
    status: CommentStatus,
    search: &str,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<Comment>, i64)> {
    let pattern = format!("%{}%", escape_like(&search.to_lowercase()));
    let query = || {
        // What a writer erased is not the desk's to moderate any more.
        let base =
            comments::table.filter(comments::status.eq(status)).filter(comments::erased_at.is_null()).into_boxed();
        if search.trim().is_empty() {
            base
        } else {
            base.filter(
                lower(comments::body_markdown)
                    .like(pattern.clone())
                    .escape('\\')
                    .or(lower(comments::author_name).like(pattern.clone()).escape('\\'))
                    .or(comments::author_email_key.like(pattern.clone()).escape('\\')),
            )
        }
    };
    let total = query().count().get_result(conn)?;
    let rows = query()
        // Urgent ones (emergency signs) first.
        .order((comments::urgent.is_null(), comments::created_at.desc(), comments::id.desc()))
        .offset(offset)
        .limit(limit)
        .select(Comment::as_select())
        .load(conn)?;
    Ok((rows, total))
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// How many comments have each status.
pub fn status_counts(conn: &mut AnyConnection) -> QueryResult<HashMap<CommentStatus, i64>> {
    let rows: Vec<(CommentStatus, i64)> = comments::table
        .filter(comments::erased_at.is_null())
        .group_by(comments::status)
        .select((comments::status, count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// The comments that `children` answer, in one query.
pub fn parents_of(conn: &mut AnyConnection, children: &[Comment]) -> QueryResult<Vec<Comment>> {
    let ids: Vec<CommentId> = children.iter().filter_map(|c| c.parent_id).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    comments::table.filter(comments::id.eq_any(ids)).select(Comment::as_select()).load(conn)
}

/// The newest comments of any status but trash and spam.
pub fn latest(conn: &mut AnyConnection, limit: i64) -> QueryResult<Vec<Comment>> {
    comments::table
        .filter(comments::status.eq_any([CommentStatus::Pending, CommentStatus::Approved, CommentStatus::Private]))
        .filter(comments::erased_at.is_null())
        // Urgent ones (emergency signs) first.
        .order((comments::urgent.is_null(), comments::created_at.desc(), comments::id.desc()))
        .limit(limit)
        .select(Comment::as_select())
        .load(conn)
}

/// Readers' questions to the author that no published author reply answers
/// yet and that were not marked "no answer needed", oldest first. A question
/// is what `comments::tally::CommentKind::of` calls one (a reader's comment
/// on the article, or a reader's reply to an answer of the author's), asked
/// here in SQL; `tests/api/questions_and_answers.rs` holds the two together.
///
/// A private question is one too, answered by the author's private answer;
/// with `private_only`, only private questions are listed. Urgent ones
/// (emergency signs) come first.
pub fn unanswered(conn: &mut AnyConnection, limit: i64, private_only: bool) -> QueryResult<Vec<Comment>> {
    unanswered_query(None, private_only)
        .order((comments::urgent.is_null(), comments::created_at.asc(), comments::id.asc()))
        .limit(limit)
        .select(Comment::as_select())
        .load(conn)
}

/// One page of `unanswered`, urgent ones first, then oldest or newest
/// first, with how many there are.
pub fn unanswered_page(
    conn: &mut AnyConnection,
    newest_first: bool,
    private_only: bool,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<Comment>, i64)> {
    let total = unanswered_query(None, private_only).count().get_result(conn)?;
    let query = unanswered_query(None, private_only);
    let query = if newest_first {
        query.order((comments::urgent.is_null(), comments::created_at.desc(), comments::id.desc()))
    } else {
        query.order((comments::urgent.is_null(), comments::created_at.asc(), comments::id.asc()))
    };
    let rows = query.offset(offset).limit(limit).select(Comment::as_select()).load(conn)?;
    Ok((rows, total))
}

/// The ids of the unanswered questions sent before `before`.
pub fn unanswered_before(conn: &mut AnyConnection, before: NaiveDateTime) -> QueryResult<Vec<CommentId>> {
    unanswered_query(Some(before), false).order(comments::id.asc()).select(comments::id).load(conn)
}

/// The questions `unanswered` lists (sent before `before`, when given).
fn unanswered_query<'a>(
    before: Option<NaiveDateTime>,
    private_only: bool,
) -> comments::BoxedQuery<'a, super::MultiBackend> {
    let (answer, asked) = diesel::alias!(comments as answer, comments as asked);
    let statuses: &[CommentStatus] = if private_only {
        &[CommentStatus::Private]
    } else {
        &[CommentStatus::Pending, CommentStatus::Approved, CommentStatus::Private]
    };
    let query = comments::table
        .filter(comments::user_id.is_null())
        .filter(comments::no_answer_needed.eq(false))
        .filter(comments::erased_at.is_null())
        .filter(comments::status.eq_any(statuses))
        .filter(
            comments::parent_id.is_null().or(diesel::dsl::exists(
                asked
                    .filter(asked.field(comments::id).nullable().eq(comments::parent_id))
                    .filter(asked.field(comments::user_id).is_not_null()),
            )),
        )
        .filter(diesel::dsl::not(diesel::dsl::exists(
            answer
                .filter(answer.field(comments::parent_id).eq(comments::id.nullable()))
                .filter(answer.field(comments::user_id).is_not_null())
                .filter(answer.field(comments::status).eq_any([CommentStatus::Approved, CommentStatus::Private])),
        )))
        .into_boxed();
    match before {
        Some(before) => query.filter(comments::created_at.lt(before)),
        None => query,
    }
}

pub fn set_status(conn: &mut AnyConnection, id: CommentId, status: CommentStatus) -> QueryResult<usize> {
    pages_changed(conn)?;
    diesel::update(comments::table.find(id))
        .set((comments::status.eq(status), comments::updated_at.eq(super::now())))
        .execute(conn)
}

/// Replaces comment `id`'s text with one whose personal details were
/// removed, and says so under it.
pub fn redact(conn: &mut AnyConnection, id: CommentId, markdown: &str, html: &SafeHtml) -> QueryResult<usize> {
    pages_changed(conn)?;
    let now = super::now();
    diesel::update(comments::table.find(id))
        .set((
            comments::body_markdown.eq(markdown),
            comments::body_html.eq(html),
            comments::redacted_at.eq(Some(now)),
            comments::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Clears comment `id`'s urgent mark (the author has seen to it); true
/// when it had one.
pub fn clear_urgent(conn: &mut AnyConnection, id: CommentId) -> QueryResult<bool> {
    let changed = diesel::update(comments::table.find(id).filter(comments::urgent.is_not_null()))
        .set(comments::urgent.eq(None::<String>))
        .execute(conn)?;
    Ok(changed > 0)
}

pub fn set_no_answer_needed(conn: &mut AnyConnection, id: CommentId) -> QueryResult<usize> {
    diesel::update(comments::table.find(id)).set(comments::no_answer_needed.eq(true)).execute(conn)
}

/// Comment `id`'s new text, marked edited at `now`; with `status`, the
/// status the rules gave it (a writer's edit).
pub fn update_body(
    conn: &mut AnyConnection,
    id: CommentId,
    markdown: &str,
    html: &SafeHtml,
    status: Option<CommentStatus>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    pages_changed(conn)?;
    diesel::update(comments::table.find(id))
        .set((
            comments::body_markdown.eq(markdown),
            comments::body_html.eq(html),
            status.map(|status| comments::status.eq(status)),
            comments::edited_at.eq(Some(now)),
            comments::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Deletes a comment for good; its replies move up to its parent.
pub fn delete(conn: &mut AnyConnection, comment: &Comment) -> QueryResult<usize> {
    pages_changed(conn)?;
    diesel::update(comments::table.filter(comments::parent_id.eq(comment.id)))
        .set(comments::parent_id.eq(comment.parent_id))
        .execute(conn)?;
    diesel::delete(comments::table.find(comment.id)).execute(conn)
}

/// Every reader's comment written with `email`, on every article, newest
/// first. Erased comments keep no address, so they are not among them.
pub fn by_email(conn: &mut AnyConnection, email: &EmailKey) -> QueryResult<Vec<Comment>> {
    comments::table
        .filter(comments::author_email_key.eq(email))
        .filter(comments::user_id.is_null())
        .filter(comments::erased_at.is_null())
        .order((comments::created_at.desc(), comments::id.desc()))
        .select(Comment::as_select())
        .load(conn)
}

/// Whether a reader's comment was written with `email`.
pub fn any_from_email(conn: &mut AnyConnection, email: &EmailKey) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        comments::table
            .filter(comments::author_email_key.eq(email))
            .filter(comments::user_id.is_null())
            .filter(comments::erased_at.is_null()),
    ))
    .get_result(conn)
}

/// Whether any comment, of any status, answers comment `id`.
pub fn has_replies(conn: &mut AnyConnection, id: CommentId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(comments::table.filter(comments::parent_id.eq(id)))).get_result(conn)
}

/// The author's private answers to the private questions `ids`, oldest
/// first: what the asker reads on their own page.
pub fn private_answers(conn: &mut AnyConnection, ids: &[CommentId]) -> QueryResult<Vec<Comment>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    comments::table
        .filter(comments::parent_id.eq_any(ids))
        .filter(comments::status.eq(CommentStatus::Private))
        .filter(comments::user_id.is_not_null())
        .order((comments::created_at.asc(), comments::id.asc()))
        .select(Comment::as_select())
        .load(conn)
}

/// The author's (or a moderator's) published answers to comment `id`,
/// oldest first.
pub fn published_answers(conn: &mut AnyConnection, id: CommentId) -> QueryResult<Vec<Comment>> {
    comments::table
        .filter(comments::parent_id.eq(id))
        .filter(comments::status.eq(CommentStatus::Approved))
        .filter(comments::user_id.is_not_null())
        .order((comments::created_at.asc(), comments::id.asc()))
        .select(Comment::as_select())
        .load(conn)
}

/// Which of `ids` the author or a moderator has answered.
pub fn answered_by_staff(conn: &mut AnyConnection, ids: &[CommentId]) -> QueryResult<Vec<CommentId>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let answered: Vec<Option<CommentId>> = comments::table
        .filter(comments::parent_id.eq_any(ids))
        .filter(comments::user_id.is_not_null())
        .select(comments::parent_id)
        .distinct()
        .load(conn)?;
    Ok(answered.into_iter().flatten().collect())
}

/// Keeps comment `id`'s place in its thread, for its replies, and nothing
/// that its writer said or was known by.
pub fn erase(conn: &mut AnyConnection, id: CommentId, now: NaiveDateTime) -> QueryResult<usize> {
    pages_changed(conn)?;
    diesel::update(comments::table.find(id))
        .set((
            comments::author_name.eq(""),
            comments::author_email.eq(""),
            comments::author_email_key.eq(EmailKey::of("")),
            comments::author_url.eq(None::<String>),
            comments::body_markdown.eq(""),
            comments::body_html.eq(SafeHtml::default()),
            comments::ip_hash.eq(""),
            comments::user_agent.eq(""),
            comments::notify.eq(false),
            comments::notify_replies.eq(false),
            comments::erased_at.eq(Some(now)),
            comments::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Takes comment `id` for a change by its writer: a write that changes
/// nothing, so that on PostgreSQL other changes to the row wait for the
/// transaction (on SQLite, `db::write` holds the whole database already).
pub fn take_for_change(conn: &mut AnyConnection, id: CommentId) -> QueryResult<usize> {
    diesel::update(comments::table.find(id)).set(comments::updated_at.eq(comments::updated_at)).execute(conn)
}

/// `take_for_change` for every reader's comment written with `email`.
pub fn take_all_for_change(conn: &mut AnyConnection, email: &EmailKey) -> QueryResult<usize> {
    diesel::update(comments::table.filter(comments::author_email_key.eq(email)).filter(comments::user_id.is_null()))
        .set(comments::updated_at.eq(comments::updated_at))
        .execute(conn)
}

/// Stops every notice about replies to the comments written with `email`.
pub fn stop_notices_to(conn: &mut AnyConnection, email: &EmailKey) -> QueryResult<usize> {
    diesel::update(comments::table.filter(comments::author_email_key.eq(email)))
        .set((comments::notify.eq(false), comments::notify_replies.eq(false)))
        .execute(conn)
}

/// Stops the notices about replies to comment `id` when `email` wrote it.
pub fn stop_thread_notices(conn: &mut AnyConnection, id: CommentId, email: &EmailKey) -> QueryResult<usize> {
    diesel::update(comments::table.find(id).filter(comments::author_email_key.eq(email)))
        .set((comments::notify.eq(false), comments::notify_replies.eq(false)))
        .execute(conn)
}

/// Gives every comment the key its address has now, in pages of `page`
/// rows: after the migration that added the keys, whose SQL `lower()`
/// need not fold letters as `EmailKey::of` does (PostgreSQL's follows the
/// database's locale). Returns how many keys changed.
pub fn rekey_addresses(conn: &mut AnyConnection, page: i64) -> QueryResult<usize> {
    let mut changed = 0;
    let mut after = CommentId(0);
    loop {
        let rows: Vec<(CommentId, String, EmailKey)> = comments::table
            .filter(comments::id.gt(after))
            .order(comments::id.asc())
            .limit(page)
            .select((comments::id, comments::author_email, comments::author_email_key))
            .load(conn)?;
        let Some(&(last, _, _)) = rows.last() else { return Ok(changed) };
        after = last;
        for (id, address, stored) in rows {
            let key = EmailKey::of(&address);
            if key != stored {
                changed +=
                    diesel::update(comments::table.find(id)).set(comments::author_email_key.eq(key)).execute(conn)?;
            }
        }
    }
}

/// A test on a comment, as the retention purge applies it.
type Predicate = Box<
    dyn diesel::expression::BoxableExpression<comments::table, super::MultiBackend, SqlType = diesel::sql_types::Bool>,
>;

/// The comments made before `cutoff` that still keep an address hash or a
/// browser.
fn with_old_addresses(cutoff: NaiveDateTime) -> Predicate {
    Box::new(comments::created_at.lt(cutoff).and(comments::ip_hash.ne("").or(comments::user_agent.ne(""))))
}

/// The comments waiting for moderation, made and last touched before `cutoff`.
fn pending_since(cutoff: NaiveDateTime) -> Predicate {
    Box::new(
        comments::status
            .eq(CommentStatus::Pending)
            .and(comments::erased_at.is_null())
            .and(comments::created_at.lt(cutoff))
            .and(comments::updated_at.lt(cutoff)),
    )
}

/// How many comments made before `cutoff` still keep an address hash or a browser.
pub fn count_with_old_addresses(conn: &mut AnyConnection, cutoff: NaiveDateTime) -> QueryResult<i64> {
    comments::table.filter(with_old_addresses(cutoff)).count().get_result(conn)
}

/// Forgets the address hash and browser of the comments made before `cutoff`.
pub fn forget_old_addresses(conn: &mut AnyConnection, cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(comments::table.filter(with_old_addresses(cutoff)))
        .set((comments::ip_hash.eq(""), comments::user_agent.eq("")))
        .execute(conn)
}

/// How many comments wait for moderation untouched since before `cutoff`.
pub fn count_stale_pending(conn: &mut AnyConnection, cutoff: NaiveDateTime) -> QueryResult<i64> {
    comments::table.filter(pending_since(cutoff)).count().get_result(conn)
}

/// When each comment waiting for moderation untouched since before `cutoff`
/// was made and last touched.
pub fn stale_pending_times(
    conn: &mut AnyConnection,
    cutoff: NaiveDateTime,
) -> QueryResult<Vec<(NaiveDateTime, NaiveDateTime)>> {
    comments::table.filter(pending_since(cutoff)).select((comments::created_at, comments::updated_at)).load(conn)
}

/// The comments waiting for moderation untouched since before `cutoff`, newest first.
pub fn stale_pending(conn: &mut AnyConnection, cutoff: NaiveDateTime) -> QueryResult<Vec<Comment>> {
    comments::table.filter(pending_since(cutoff)).order(comments::id.desc()).select(Comment::as_select()).load(conn)
}

/// The comments by readers not erased, of `statuses`, made after `since` and
/// up to `until`, oldest first, at most `limit`: what an email digest lists.
pub fn arrived_between(
    conn: &mut AnyConnection,
    statuses: &[CommentStatus],
    since: NaiveDateTime,
    until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Comment>> {
    comments::table
        .filter(comments::user_id.is_null())
        .filter(comments::erased_at.is_null())
        .filter(comments::status.eq_any(statuses))
        .filter(comments::created_at.gt(since))
        .filter(comments::created_at.le(until))
        .order((comments::created_at.asc(), comments::id.asc()))
        .limit(limit)
        .select(Comment::as_select())
        .load(conn)
}

/// Waits, until the end of the transaction, for any other transaction that
/// took the turn of `ip_hash`: on PostgreSQL, where instances write in
/// parallel (SQLite's write lock already makes them take turns).
pub fn take_turn_of_address(conn: &mut AnyConnection, ip_hash: &str) -> QueryResult<()> {
    if let AnyConnection::Postgresql(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind::<diesel::sql_types::Text, _>(ip_hash)
            .execute(pg)?;
    }
    Ok(())
}
