//! A private question to the author ("Only the doctor may read this"): it
//! is stored with `CommentStatus::Private`, which no public query selects
//! and no moderation action changes; the author's answer to it is private
//! too and goes to the asker by email. What the author may make public is
//! a new exchange that he writes from it, anonymised; the original stays
//! private.

use anyhow::Context as _;
use chrono::NaiveDateTime;

use super::moderation::Actor;
use super::submit::{store, Author, Draft};
use crate::db::comments::{self, Comment};
use crate::db::log::{self, LogAction, NewLogEntry};
use crate::db::AnyConnection;
use crate::domain::{CommentBody, CommentId, CommentStatus};

/// The name the anonymised question is published under.
pub const ANONYMOUS_NAME: &str = "A reader";

/// Said to the author once his private answer is stored.
pub const PRIVATE_ANSWER_SENT: &str =
    "Your answer is stored, private like the question, and on its way to the reader by email. It is on no public page.";

/// Why an anonymised version was not published.
#[derive(Debug, thiserror::Error)]
pub enum AnonymiseError {
    /// The comment is not (or no longer) a private question.
    #[error("this comment is not a private question")]
    NotPrivate,
    #[error("the anonymised version could not be stored")]
    NotStored(#[source] anyhow::Error),
}

/// The public exchange made from a private question.
#[derive(Clone, Copy, Debug)]
pub struct Published {
    pub question: CommentId,
    pub answer: CommentId,
}

/// Publishes `question` (the author's anonymised rewording of private
/// question `original`) as a reader's question under the same article,
/// with `answer` as his reply, in one transaction with its log entry. The
/// new question has no name but `ANONYMOUS_NAME`, no address and no link to
/// the original; the original and its answer stay private.
pub fn publish_anonymised(
    conn: &mut AnyConnection,
    actor: &Actor,
    original: CommentId,
    question: &CommentBody,
    answer: &CommentBody,
    now: NaiveDateTime,
) -> Result<Published, AnonymiseError> {
    crate::db::write(conn, |conn| {
        let original: Comment = comments::find(conn, original)
            .context("loading the private question")
            .map_err(AnonymiseError::NotStored)?
            .filter(|c| c.status == CommentStatus::Private && !c.is_by_author() && c.erased_at.is_none())
            .ok_or(AnonymiseError::NotPrivate)?;
        let slug = original.post_slug.clone();
        let draft =
            |parent, author, body| Draft::written_now(&slug, parent, author, body, CommentStatus::Approved, now);
        let reader = Author::Reader { name: ANONYMOUS_NAME.to_owned(), email: String::new(), website: None };
        let question = store(conn, draft(None, reader, question)).context("storing the anonymised question")?;
        let staff = Author::Staff { name: actor.name.clone(), user_id: actor.user_id };
        let answer = store(conn, draft(Some(question), staff, answer)).context("storing the answer")?;
        let entry = NewLogEntry::new(Some(actor.user_id), &actor.name, LogAction::PublishAnonymised)
            .comment(original.id, Some(CommentStatus::Private.as_str()), Some(CommentStatus::Private.as_str()))
            .detail(format!(
                "published an anonymised version of a private question as comments {question} and {answer} on {slug}"
            ));
        log::write(conn, &entry).context("writing the log").map_err(AnonymiseError::NotStored)?;
        Ok(Published { question, answer })
    })
}

impl From<diesel::result::Error> for AnonymiseError {
    fn from(error: diesel::result::Error) -> Self {
        Self::NotStored(error.into())
    }
}

impl From<anyhow::Error> for AnonymiseError {
    fn from(error: anyhow::Error) -> Self {
        Self::NotStored(error)
    }
}
