//! What commenters may do to their own comments without an account: through
//! a signed link to their address, or, while a comment awaits moderation,
//! from the browser that wrote it. An edit goes through the same rules as a
//! new comment; every change is written in one transaction with its log
//! entry; deleting or erasing leaves nothing the writer said.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use serde::Serialize;

use super::policy::{self, Arrival};
use super::rules::Rules;
use crate::db::comments::{self, Comment};
use crate::db::log::{self, LogAction, NewLogEntry};
use crate::db::AnyConnection;
use crate::domain::{CommentBody, CommentId, CommentStatus, EmailKey};
use crate::mail::subscribers::{self, AddressState};
use crate::markdown;

/// The name the log gives a commenter acting on their own comments: never
/// their own name, which an erasure must be able to take away.
pub const WRITER: &str = "the writer";

/// Who claims a comment.
#[derive(Clone, Copy, Debug)]
pub enum Owner<'a> {
    /// Whoever opened a signed "manage" link for this address.
    Address(&'a EmailKey),
    /// The browser whose visitor cookie remembers these comments as its own.
    Browser(&'a [CommentId]),
}

impl Owner<'_> {
    /// Whether `comment` is a reader's comment of this owner that was not erased.
    pub fn owns(&self, comment: &Comment) -> bool {
        if comment.user_id.is_some() || comment.erased_at.is_some() {
            return false;
        }
        match self {
            Self::Address(email) => comment.author_email_key == **email,
            Self::Browser(ids) => ids.contains(&comment.id),
        }
    }
}

/// Why a comment may not be edited any more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EditRefusal {
    /// Sent longer ago than the edit window.
    WindowClosed,
    /// The author answered it: the answer must keep making sense.
    Answered,
}

impl EditRefusal {
    pub fn message(self) -> &'static str {
        match self {
            Self::WindowClosed => {
                "The time for editing this comment has passed. Your text is kept below so that you can copy it; \
                 you can still delete the comment."
            }
            Self::Answered => {
                "The author has answered this comment, so it can no longer be edited (the answer must keep making \
                 sense). Your text is kept below; you can still delete the comment."
            }
        }
    }
}

/// Why a writer's change was not made.
#[derive(Debug, thiserror::Error)]
pub enum OwnershipError {
    /// No such comment, or not this owner's.
    #[error("that comment is not yours to change, or it is gone")]
    NotFound,
    #[error("{}", .0.message())]
    Refused(EditRefusal),
    /// The database did not store it (it may be full, read-only or down).
    #[error("the change could not be stored")]
    NotStored(#[source] anyhow::Error),
}

impl From<anyhow::Error> for OwnershipError {
    fn from(error: anyhow::Error) -> Self {
        Self::NotStored(error)
    }
}

impl From<DieselError> for OwnershipError {
    fn from(error: DieselError) -> Self {
        Self::NotStored(error.into())
    }
}

/// Why `comment` may not be edited at `now`, if it may not.
pub fn edit_refusal(comment: &Comment, rules: &Rules, answered: bool, now: NaiveDateTime) -> Option<EditRefusal> {
    if answered {
        return Some(EditRefusal::Answered);
    }
    let window = Duration::minutes(i64::from(rules.edit_window_minutes));
    (rules.edit_window_minutes == 0 || now - comment.created_at > window).then_some(EditRefusal::WindowClosed)
}

/// The comment `id` when `owner` owns it.
pub fn find_owned(conn: &mut AnyConnection, owner: Owner, id: CommentId) -> QueryResult<Option<Comment>> {
    Ok(comments::find(conn, id)?.filter(|comment| owner.owns(comment)))
}

/// Replaces the text of `owner`'s comment `id` with `body`: rendered and
/// cleaned again, and decided again by the moderation rules, so that an edit
/// may send a published comment back to moderation. A comment in spam or the
/// trash stays there. Returns the comment's status after the edit.
pub fn edit(
    conn: &mut AnyConnection,
    rules: &Rules,
    owner: Owner,
    id: CommentId,
    body: &CommentBody,
    now: NaiveDateTime,
) -> Result<CommentStatus, OwnershipError> {
    crate::db::write(conn, |conn| {
        comments::take_for_change(conn, id)?;
        let comment = find_owned(conn, owner, id)?.ok_or(OwnershipError::NotFound)?;
        let answered = !comments::answered_by_staff(conn, &[id])?.is_empty();
        if let Some(refusal) = edit_refusal(&comment, rules, answered, now) {
            return Err(OwnershipError::Refused(refusal));
        }
        let returning = comments::has_approved_from(conn, &comment.author_email_key)?;
        let decision = policy::decide(
            rules,
            &Arrival {
                author_name: &comment.author_name,
                email: &comment.author_email_key,
                url: comment.author_url.as_deref(),
                body: body.as_str(),
                ip_hash: &comment.ip_hash,
                honeypot_filled: false,
                returning,
            },
        );
        let status = match comment.status {
            // Private stays private, whatever the rules say of the new text.
            CommentStatus::Spam | CommentStatus::Trash | CommentStatus::Private => comment.status,
            CommentStatus::Pending | CommentStatus::Approved => decision.status,
        };
        let html = markdown::render_comment(body.as_str());
        comments::update_body(conn, id, body.as_str(), &html, Some(status), now)?;
        let entry = NewLogEntry::new(None, WRITER, LogAction::WriterEdit)
            .comment(id, Some(comment.status.as_str()), Some(status.as_str()))
            .detail(decision.reason.map(|reason| format!("held: {reason}")).unwrap_or_default());
        log::write(conn, &entry)?;
        Ok(status)
    })
}

/// What became of a removed comment; the log stores it by this name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "lowercase")]
pub enum Removed {
    /// Gone from the database.
    Deleted,
    /// Kept as an empty place for the replies it has.
    #[strum(serialize = "removed")]
    Tombstone,
}

impl Removed {
    fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Deletes `owner`'s comment `id` at the writer's request.
pub fn delete(
    conn: &mut AnyConnection,
    owner: Owner,
    id: CommentId,
    now: NaiveDateTime,
) -> Result<Removed, OwnershipError> {
    crate::db::write(conn, |conn| {
        comments::take_for_change(conn, id)?;
        let comment = find_owned(conn, owner, id)?.ok_or(OwnershipError::NotFound)?;
        let removed = remove(conn, &comment, now)?;
        let entry = NewLogEntry::new(None, WRITER, LogAction::WriterDelete).comment(
            id,
            Some(comment.status.as_str()),
            Some(removed.as_str()),
        );
        log::write(conn, &entry)?;
        Ok(removed)
    })
}

/// Takes `comment` out: deleted when nothing answers it, otherwise emptied
/// in place so that its replies keep their thread. Unsent messages about it
/// go too, and the log's details that could name its writer. Call it in a
/// transaction.
pub(crate) fn remove(conn: &mut AnyConnection, comment: &Comment, now: NaiveDateTime) -> QueryResult<Removed> {
    let removed = if comments::has_replies(conn, comment.id)? {
        comments::erase(conn, comment.id, now)?;
        Removed::Tombstone
    } else {
        comments::delete(conn, comment)?;
        forget_empty_places(conn, comment.parent_id)?;
        Removed::Deleted
    };
    crate::db::outbox::drop_unsent_about(conn, comment.id)?;
    log::scrub_details(conn, &[comment.id])?;
    Ok(removed)
}

/// Deletes the erased comment `parent`, and its erased parents, once no
/// reply is left for them to keep a place for.
fn forget_empty_places(conn: &mut AnyConnection, mut parent: Option<CommentId>) -> QueryResult<()> {
    while let Some(id) = parent {
        let Some(place) = comments::find(conn, id)?.filter(|c| c.erased_at.is_some()) else { break };
        if comments::has_replies(conn, id)? {
            break;
        }
        comments::delete(conn, &place)?;
        parent = place.parent_id;
    }
    Ok(())
}

/// What an erasure did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Erased {
    pub deleted: usize,
    pub tombstones: usize,
}

/// Erases everything written with `email`: every comment (deleted, or
/// emptied in place when it has replies), the address's notice choices and
/// its messages. The log keeps one entry per comment naming its id only.
pub fn erase_all(conn: &mut AnyConnection, email: &EmailKey, now: NaiveDateTime) -> QueryResult<Erased> {
    crate::db::write(conn, |conn| {
        comments::take_all_for_change(conn, email)?;
        let mut erased = Erased::default();
        // Newest first: a writer's reply to their own comment goes before it,
        // so that the older one is left with no replies to keep a place for.
        for comment in comments::by_email(conn, email)? {
            let removed = remove(conn, &comment, now)?;
            match removed {
                Removed::Deleted => erased.deleted += 1,
                Removed::Tombstone => erased.tombstones += 1,
            }
            let entry = NewLogEntry::new(None, WRITER, LogAction::WriterErase).comment(
                comment.id,
                Some(comment.status.as_str()),
                Some(removed.as_str()),
            );
            log::write(conn, &entry)?;
        }
        subscribers::forget(conn, email)?;
        Ok(erased)
    })
}

/// A comment's status in the writer's words. What the spam filter or the
/// trash did is not said: only that it is not published.
pub fn status_in_words(comment: &Comment) -> &'static str {
    if comment.erased_at.is_some() {
        return "removed";
    }
    match comment.status {
        CommentStatus::Approved => "published",
        CommentStatus::Pending => "waiting for moderation",
        CommentStatus::Spam | CommentStatus::Trash => "not published",
        CommentStatus::Private => "private: only the author can read it",
    }
}

/// Everything the site keeps about an address, as the writer downloads it.
#[derive(Debug, Serialize)]
pub struct Export {
    pub email: String,
    pub exported_at: NaiveDateTime,
    /// "none", "waiting for confirmation", "confirmed" or "stopped".
    pub notices: &'static str,
    pub comments: Vec<ExportedComment>,
}

/// One comment in an export. The address hash and the browser are not in
/// it: they are kept for spam control, and say nothing the writer does not know.
#[derive(Debug, Serialize)]
pub struct ExportedComment {
    pub id: CommentId,
    pub article: String,
    pub parent_id: Option<CommentId>,
    pub created_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
    pub status: &'static str,
    pub name: String,
    pub website: Option<String>,
    /// The Markdown as written.
    pub text: String,
    pub notify_answers: bool,
    pub notify_replies: bool,
    /// The consent given with it: which wording, when, and how.
    pub consent: Option<ExportedConsent>,
}

#[derive(Debug, Serialize)]
pub struct ExportedConsent {
    pub wording_version: String,
    pub given_at: Option<NaiveDateTime>,
    pub given_through: Option<String>,
}

pub fn export(conn: &mut AnyConnection, email: &EmailKey, now: NaiveDateTime) -> QueryResult<Export> {
    let comments = comments::by_email(conn, email)?
        .into_iter()
        .map(|comment| ExportedComment {
            id: comment.id,
            status: status_in_words(&comment),
            article: comment.post_slug,
            parent_id: comment.parent_id,
            created_at: comment.created_at,
            edited_at: comment.edited_at,
            name: comment.author_name,
            website: comment.author_url,
            text: comment.body_markdown,
            notify_answers: comment.notify,
            notify_replies: comment.notify_replies,
            consent: comment.consent_version.map(|wording_version| ExportedConsent {
                wording_version,
                given_at: comment.consent_at,
                given_through: comment.consent_method,
            }),
        })
        .collect();
    let notices = notices_in_words(subscribers::state(conn, email)?);
    Ok(Export { email: email.to_string(), exported_at: now, notices, comments })
}

pub fn notices_in_words(state: AddressState) -> &'static str {
    match state {
        AddressState::Unknown => "none",
        AddressState::Unconfirmed => "waiting for confirmation",
        AddressState::Confirmed => "confirmed",
        AddressState::Stopped => "stopped",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_removal_is_logged_by_its_own_string() {
        assert_eq!(Removed::Deleted.as_str(), "deleted");
        assert_eq!(Removed::Tombstone.as_str(), "removed");
    }
}
