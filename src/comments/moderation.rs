//! What the author and moderators do to comments. Every change is written
//! to the moderation log in the same transaction.

use anyhow::Context;

use crate::db::comments::{self, Comment};
use crate::db::log::{self, LogAction, NewLogEntry};
use crate::db::AnyConnection;
use crate::domain::{CommentBody, CommentId, CommentStatus, UserId};
use crate::mail::notices;
use crate::markdown;
use crate::trust::personal;

/// Who acts.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_id: UserId,
    pub name: String,
}

/// One of the desk's moderation actions, sent by its forms by the same
/// kebab-case name as the log stores (a test holds the two together).
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "kebab-case")]
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
    /// As the desk's forms send it, and as the log stores it.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(text: &str) -> Option<Self> {
        text.parse().ok()
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
            // A private question (or its answer) is never made public nor
            // sent where a later action could: it can only be deleted.
            (Self::Delete, Private) => Some(None),
            (_, Private) => None,
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

impl From<Action> for LogAction {
    fn from(action: Action) -> Self {
        match action {
            Action::Approve => Self::Approve,
            Action::Unapprove => Self::Unapprove,
            Action::Spam => Self::Spam,
            Action::NotSpam => Self::NotSpam,
            Action::Trash => Self::Trash,
            Action::Restore => Self::Restore,
            Action::Delete => Self::Delete,
        }
    }
}

/// Applies `action` to comment `id`. Returns whether anything changed (an
/// action that does not apply to the comment's status changes nothing).
pub fn apply(conn: &mut AnyConnection, actor: &Actor, action: Action, id: CommentId) -> anyhow::Result<bool> {
    crate::db::write::<_, diesel::result::Error, _>(conn, |conn| {
        let Some(comment) = comments::find(conn, id)? else { return Ok(false) };
        let from = comment.status;
        let Some(to) = action.target(from) else { return Ok(false) };
        match to {
            Some(status) => {
                comments::set_status(conn, id, status)?;
                if status == CommentStatus::Approved {
                    notices::comment_approved(conn, id, crate::db::now())?;
                }
            }
            None => {
                comments::delete(conn, &comment)?;
            }
        }
        let entry = NewLogEntry::new(Some(actor.user_id), &actor.name, action.into())
            .comment(id, Some(from.as_str()), to.map(|s| s.as_str()).or(Some("deleted")))
            .detail(format!("{} on {}", comment.author_name, comment.post_slug));
        log::write(conn, &entry)?;
        Ok(true)
    })
    .with_context(|| format!("applying {} to comment {id}", action.as_str()))
}

/// The author saw to an urgent comment: its mark is cleared and the log
/// says which signs it had. False when it had none (or is gone).
pub fn clear_urgent(conn: &mut AnyConnection, actor: &Actor, id: CommentId) -> anyhow::Result<bool> {
    crate::db::write::<_, diesel::result::Error, _>(conn, |conn| {
        let Some(comment) = comments::find(conn, id)? else { return Ok(false) };
        let Some(signs) = comment.urgent.clone() else { return Ok(false) };
        comments::clear_urgent(conn, id)?;
        let entry = NewLogEntry::new(Some(actor.user_id), &actor.name, LogAction::RedFlagCleared)
            .comment(id, Some(comment.status.as_str()), Some(comment.status.as_str()))
            .detail(format!("seen to: {}", signs.replace(',', ", ")));
        log::write(conn, &entry)?;
        Ok(true)
    })
    .with_context(|| format!("clearing the urgent mark of comment {id}"))
}

/// Removes the personal details found in comment `comment`'s text (each
/// becomes "[removed]"), says so under it, and logs what kinds were
/// removed, never the details themselves. False when none were found.
pub fn redact(conn: &mut AnyConnection, actor: &Actor, comment: &Comment, country: &str) -> anyhow::Result<bool> {
    let found = personal::find(&comment.body_markdown, &comment.author_name, country);
    if found.is_empty() {
        return Ok(false);
    }
    let text = personal::redact(&comment.body_markdown, &found);
    let kinds: Vec<&str> = found.iter().map(|f| f.label).collect();
    crate::db::write::<_, diesel::result::Error, _>(conn, |conn| {
        comments::redact(conn, comment.id, &text, &markdown::render_comment(&text))?;
        let entry = NewLogEntry::new(Some(actor.user_id), &actor.name, LogAction::Redact)
            .comment(comment.id, Some(comment.status.as_str()), Some(comment.status.as_str()))
            .detail(format!("removed {}", kinds.join(", ")));
        log::write(conn, &entry)?;
        Ok(true)
    })
    .with_context(|| format!("removing personal details from comment {}", comment.id))
}

/// Replaces a comment's text, rendering and cleaning it again.
pub fn edit(conn: &mut AnyConnection, actor: &Actor, comment: &Comment, body: &CommentBody) -> anyhow::Result<()> {
    crate::db::write::<_, diesel::result::Error, _>(conn, |conn| {
        let html = markdown::render_comment(body.as_str());
        comments::update_body(conn, comment.id, body.as_str(), &html, None, crate::db::now())?;
        if comment.is_by_author() {
            // His edit is his review: nothing more waits on it.
            crate::db::answers::clear_review_reason(conn, comment.id)?;
        }
        let entry = NewLogEntry::new(Some(actor.user_id), &actor.name, LogAction::Edit)
            .comment(comment.id, Some(comment.status.as_str()), Some(comment.status.as_str()))
            .detail(format!("edited {}'s comment", comment.author_name));
        log::write(conn, &entry)?;
        Ok(())
    })
    .with_context(|| format!("editing comment {}", comment.id))
}

/// Takes a question off the author's to-do list without answering it.
pub fn no_answer_needed(conn: &mut AnyConnection, actor: &Actor, id: CommentId) -> anyhow::Result<bool> {
    crate::db::write::<_, diesel::result::Error, _>(conn, |conn| {
        let changed = comments::set_no_answer_needed(conn, id)? > 0;
        if changed {
            log::write(
                conn,
                &NewLogEntry::new(Some(actor.user_id), &actor.name, LogAction::NoAnswerNeeded).comment(id, None, None),
            )?;
        }
        Ok(changed)
    })
    .with_context(|| format!("marking comment {id} as needing no answer"))
}

/// Marks each of `ids` that is not marked yet as needing no answer, in one
/// write, each logged; returns how many it marked.
pub fn no_answer_needed_for_all(conn: &mut AnyConnection, actor: &Actor, ids: &[CommentId]) -> anyhow::Result<usize> {
    crate::db::write::<_, diesel::result::Error, _>(conn, |conn| {
        let mut marked = 0;
        for &id in ids {
            if comments::set_no_answer_needed(conn, id)? > 0 {
                marked += 1;
                log::write(
                    conn,
                    &NewLogEntry::new(Some(actor.user_id), &actor.name, LogAction::NoAnswerNeeded)
                        .comment(id, None, None),
                )?;
            }
        }
        Ok(marked)
    })
    .with_context(|| format!("marking {} questions as needing no answer", ids.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use CommentStatus::*;

    #[test]
    fn every_action_is_sent_and_logged_by_its_own_string() {
        let pinned = [
            (Action::Approve, "approve"),
            (Action::Unapprove, "unapprove"),
            (Action::Spam, "spam"),
            (Action::NotSpam, "not-spam"),
            (Action::Trash, "trash"),
            (Action::Restore, "restore"),
            (Action::Delete, "delete"),
        ];
        assert_eq!(pinned.len(), <Action as strum::VariantArray>::VARIANTS.len());
        for (action, text) in pinned {
            assert_eq!(action.as_str(), text);
            assert_eq!(LogAction::from(action).as_str(), text, "{action:?} is logged as what the form sends");
            assert_eq!(Action::parse(text), Some(action));
        }
        assert_eq!(Action::parse("Approve"), None);
        assert_eq!(Action::parse("publish"), None);
    }

    #[test]
    fn actions_apply_only_where_they_make_sense() {
        assert_eq!(Action::Approve.target(Pending), Some(Some(Approved)));
        assert_eq!(Action::Approve.target(Approved), None);
        assert_eq!(Action::Unapprove.target(Pending), None);
        assert_eq!(Action::NotSpam.target(Spam), Some(Some(Pending)));
        assert_eq!(Action::Restore.target(Trash), Some(Some(Pending)));
        assert_eq!(Action::Delete.target(Approved), None);
        assert_eq!(Action::Delete.target(Trash), Some(None));
        assert_eq!(Action::Delete.target(Private), Some(None));
        for action in
            [Action::Approve, Action::Unapprove, Action::Spam, Action::NotSpam, Action::Trash, Action::Restore]
        {
            assert_eq!(action.target(Private), None, "{action:?} must leave a private comment private");
        }
    }
}
