//! The notices each event causes, queued in the event's own transaction.
//! Who gets what:
//! - each desk account with an address hears of readers' comments as it
//!   chose (every comment, questions only, or nothing now and a digest later);
//! - a reader who ticked "email me" hears once when the author's answer to
//!   their comment is published, and, with the second box, when another
//!   reader's reply is;
//! - the first time an address asks for notices, it gets a confirmation
//!   instead, and its notices wait until it confirms.

use chrono::NaiveDateTime;
use diesel::QueryResult;

use super::outbox::{self, MessageKind, NewMessage};
use super::subscribers::{self, AddressState};
use crate::db::comments::{self, Comment};
use crate::db::{users, AnyConnection};
use crate::domain::CommentKind;
use crate::domain::{CommentId, CommentStatus, NoticeChoice};

/// A reader's comment was stored, with whatever status the rules gave it.
/// `parent` is the comment it answers. True when a message was queued.
pub fn comment_arrived(
    conn: &mut AnyConnection,
    comment: &Comment,
    parent: Option<&Comment>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let mut queued = false;
    if matches!(comment.status, CommentStatus::Pending | CommentStatus::Approved | CommentStatus::Private) {
        // A private one asks the author, whatever it answers.
        let question = comment.status == CommentStatus::Private || is_question(comment, parent);
        for user in users::with_email(conn)? {
            let wanted = match user.notify_on {
                NoticeChoice::Every => true,
                NoticeChoice::Questions => question,
                NoticeChoice::Digest | NoticeChoice::Nothing => false,
            };
            if wanted {
                let key = format!("new-comment:{}:{}", comment.id, user.id);
                let message =
                    NewMessage::new(MessageKind::NewComment, &user.email, key, now).about(comment.id).for_user(user.id);
                queued |= outbox::enqueue(conn, &message)?;
            }
        }
    }
    if comment.notify || comment.notify_replies {
        let email = &comment.author_email_key;
        let before = subscribers::ask(conn, email, now)?;
        if matches!(before, AddressState::Unknown | AddressState::Unconfirmed | AddressState::Stopped) {
            // At most one confirmation a day, however many comments ask.
            let key = format!("confirm:{email}:{}", now.format("%Y-%m-%d"));
            let message = NewMessage::new(MessageKind::Confirm, email.as_str(), key, now).about(comment.id);
            queued |= outbox::enqueue(conn, &message)?;
        }
    }
    if comment.status == CommentStatus::Approved {
        queued |= comment_published(conn, comment, parent, now)?;
    }
    Ok(queued)
}

/// `comment` showed emergency signs: every desk account with an address
/// hears of it at once, whatever it chose to hear of (the same message as
/// a new comment's, so never twice).
pub fn urgent_comment(conn: &mut AnyConnection, comment: &Comment, now: NaiveDateTime) -> QueryResult<bool> {
    let mut queued = false;
    for user in users::with_email(conn)? {
        let key = format!("new-comment:{}:{}", comment.id, user.id);
        let message =
            NewMessage::new(MessageKind::NewComment, &user.email, key, now).about(comment.id).for_user(user.id);
        queued |= outbox::enqueue(conn, &message)?;
    }
    Ok(queued)
}

/// Whether `comment` (answering `parent`) asks the author something.
fn is_question(comment: &Comment, parent: Option<&Comment>) -> bool {
    CommentKind::of(comment.is_by_author(), parent.map(Comment::is_by_author)) == CommentKind::Question
}

/// Comment `id` was just approved by the desk: tells whoever asked to hear
/// of it. True when a message was queued.
pub fn comment_approved(conn: &mut AnyConnection, id: CommentId, now: NaiveDateTime) -> QueryResult<bool> {
    let Some(comment) = comments::find(conn, id)? else { return Ok(false) };
    let parent = match comment.parent_id {
        Some(parent) => comments::find(conn, parent)?,
        None => None,
    };
    comment_published(conn, &comment, parent.as_ref(), now)
}

/// `comment` became public (stored approved, or approved later), or is the
/// author's answer to a private question. Tells the writer of the comment it
/// answers, if they asked to hear of it (the asker of a private question
/// always did). True when a message was queued.
pub fn comment_published(
    conn: &mut AnyConnection,
    comment: &Comment,
    parent: Option<&Comment>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let Some(parent) = parent else { return Ok(false) };
    if parent.is_by_author() || parent.erased_at.is_some() || parent.author_email.is_empty() {
        return Ok(false);
    }
    let (kind, asked) = if comment.is_by_author() {
        (MessageKind::Answer, parent.notify)
    } else {
        (MessageKind::Reply, parent.notify_replies)
    };
    let own_words = !comment.is_by_author() && comment.author_email_key == parent.author_email_key;
    if !asked || own_words {
        return Ok(false);
    }
    let recipient = &parent.author_email_key;
    let held = match subscribers::state(conn, recipient)? {
        AddressState::Confirmed => false,
        AddressState::Stopped => return Ok(false),
        AddressState::Unknown | AddressState::Unconfirmed => true,
    };
    let key = format!("{}:{}", kind.as_str(), comment.id);
    outbox::enqueue(conn, &NewMessage::new(kind, recipient.as_str(), key, now).about(comment.id).held(held))
}
