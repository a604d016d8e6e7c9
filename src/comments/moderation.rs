//! What the author and moderators do to comments. Every change is written
//! to the moderation log in the same transaction.

use anyhow::Context;
use diesel::Connection;

use crate::db::comments::{self, Comment, NewComment};
use crate::db::log::{self, NewLogEntry};
use crate::db::{self, AnyConnection};
use crate::domain::{CommentBody, CommentStatus};
use crate::markdown;

/// Who acts.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_id: i32,
    pub name: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Approve,
    Unapprove,
    Spam,
    NotSpam,
    Trash,
    Restore,
    Delete,
}

impl Action {
    pub const ALL: [Action; 7] =
        [Self::Approve, Self::Unapprove, Self::Spam, Self::NotSpam, Self::Trash, Self::Restore, Self::Delete];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Unapprove => "unapprove",
            Self::Spam => "spam",
            Self::NotSpam => "not-spam",
            Self::Trash => "trash",
            Self::Restore => "restore",
            Self::Delete => "delete",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == text)
    }

    /// Past tense, for flash messages: "3 comments approved".
    pub fn done(self) -> &'static str {
        match self {
            Self::Approve => "approved",
            Self::Unapprove => "unapproved",
            Self::Spam => "marked as spam",
            Self::NotSpam => "marked as not spam",
            Self::Trash => "moved to the trash",
            Self::Restore => "restored",
            Self::Delete => "deleted permanently",
        }
    }

    /// The status this action gives a comment with status `from`, `Some(None)`
    /// for a deletion, or `None` when the action does not apply.
    fn target(self, from: CommentStatus) -> Option<Option<CommentStatus>> {
        use CommentStatus::*;
        match (self, from) {
            (Self::Approve, Approved) | (Self::Spam, Spam) | (Self::Trash, Trash) => None,
            (Self::Approve, _) => Some(Some(Approved)),
            (Self::Unapprove, Approved) => Some(Some(Pending)),
            (Self::Spam, _) => Some(Some(Spam)),
            (Self::NotSpam, Spam) | (Self::Restore, Trash) => Some(Some(Pending)),
            (Self::Trash, _) => Some(Some(Trash)),
            (Self::Delete, Spam | Trash) => Some(None),
            _ => None,
        }
    }
}

/// Applies `action` to comment `id`. Returns whether anything changed (an
/// action that does not apply to the comment's status changes nothing).
pub fn apply(conn: &mut AnyConnection, actor: &Actor, action: Action, id: i32) -> anyhow::Result<bool> {
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        let Some(comment) = comments::find(conn, id)? else { return Ok(false) };
        let from = comment.status();
        let Some(to) = action.target(from) else { return Ok(false) };
        match to {
            Some(status) => {
                comments::set_status(conn, id, status)?;
            }
            None => {
                comments::delete(conn, &comment)?;
            }
        }
        let entry = NewLogEntry::new(Some(actor.user_id), &actor.name, action.as_str())
            .comment(id, Some(from.as_str()), to.map(|s| s.as_str()).or(Some("deleted")))
            .detail(format!("{} on {}", comment.author_name, comment.post_slug));
        log::write(conn, &entry)?;
        Ok(true)
    })
    .with_context(|| format!("applying {} to comment {id}", action.as_str()))
}

/// The author answers `parent`: the reply is approved at once and carries the
/// author badge; a pending parent is approved with it.
pub fn author_reply(
    conn: &mut AnyConnection,
    actor: &Actor,
    parent: &Comment,
    body: &CommentBody,
) -> anyhow::Result<i32> {
    author_comment(conn, actor, &parent.post_slug, Some(parent), body)
}

/// The author comments on article `slug`, answering `parent` when given.
pub fn author_comment(
    conn: &mut AnyConnection,
    actor: &Actor,
    slug: &str,
    parent: Option<&Comment>,
    body: &CommentBody,
) -> anyhow::Result<i32> {
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        if let Some(parent) = parent.filter(|p| p.status() != CommentStatus::Approved) {
            comments::set_status(conn, parent.id, CommentStatus::Approved)?;
            let entry = NewLogEntry::new(Some(actor.user_id), &actor.name, Action::Approve.as_str())
                .comment(parent.id, Some(parent.status().as_str()), Some(CommentStatus::Approved.as_str()))
                .detail("approved by replying");
            log::write(conn, &entry)?;
        }
        let now = db::now();
        let id = comments::insert(
            conn,
            &NewComment {
                post_slug: slug.to_owned(),
                parent_id: parent.map(|p| p.id),
                depth: parent.map_or(0, |p| p.depth + 1),
                author_name: actor.name.clone(),
                author_email: String::new(),
                author_url: None,
                user_id: Some(actor.user_id),
                body_markdown: body.as_str().to_owned(),
                body_html: markdown::render_comment(body.as_str()).into_string(),
                status: CommentStatus::Approved.as_str().to_owned(),
                notify: false,
                ip_hash: String::new(),
                user_agent: String::new(),
                created_at: now,
                updated_at: now,
            },
        )?;
        let detail = match parent {
            Some(parent) => format!("answered {} (comment {}) on {slug}", parent.author_name, parent.id),
            None => format!("commented on {slug}"),
        };
        let entry = NewLogEntry::new(Some(actor.user_id), &actor.name, "reply")
            .comment(id, None, Some(CommentStatus::Approved.as_str()))
            .detail(detail);
        log::write(conn, &entry)?;
        Ok(id)
    })
    .with_context(|| format!("adding the author's comment on {slug}"))
}

/// Replaces a comment's text, rendering and cleaning it again.
pub fn edit(conn: &mut AnyConnection, actor: &Actor, comment: &Comment, body: &CommentBody) -> anyhow::Result<()> {
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        let html = markdown::render_comment(body.as_str());
        comments::update_body(conn, comment.id, body.as_str(), html.as_str())?;
        let entry = NewLogEntry::new(Some(actor.user_id), &actor.name, "edit")
            .comment(comment.id, Some(comment.status.as_str()), Some(comment.status.as_str()))
            .detail(format!("edited {}'s comment", comment.author_name));
        log::write(conn, &entry)?;
        Ok(())
    })
    .with_context(|| format!("editing comment {}", comment.id))
}

/// Takes a question off the author's to-do list without answering it.
pub fn no_answer_needed(conn: &mut AnyConnection, actor: &Actor, id: i32) -> anyhow::Result<bool> {
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        let changed = comments::set_no_answer_needed(conn, id)? > 0;
        if changed {
            log::write(
                conn,
                &NewLogEntry::new(Some(actor.user_id), &actor.name, "no-answer-needed").comment(id, None, None),
            )?;
        }
        Ok(changed)
    })
    .with_context(|| format!("marking comment {id} as needing no answer"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use CommentStatus::*;

    #[test]
    fn actions_apply_only_where_they_make_sense() {
        assert_eq!(Action::Approve.target(Pending), Some(Some(Approved)));
        assert_eq!(Action::Approve.target(Approved), None);
        assert_eq!(Action::Unapprove.target(Pending), None);
        assert_eq!(Action::NotSpam.target(Spam), Some(Some(Pending)));
        assert_eq!(Action::Restore.target(Trash), Some(Some(Pending)));
        assert_eq!(Action::Delete.target(Approved), None);
        assert_eq!(Action::Delete.target(Trash), Some(None));
        assert!(Action::ALL.iter().all(|a| Action::parse(a.as_str()) == Some(*a)));
    }
}
