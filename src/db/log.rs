//! The moderation log: every moderation action and sign-in. The desk never
//! deletes from it.

use chrono::NaiveDateTime;
use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::prelude::*;
use diesel::sql_types::Text;
use strum::{IntoStaticStr, VariantArray};

use super::schema::moderation_log;
use super::{now, AnyConnection};
use crate::domain::{CommentId, UserId};

/// What a log entry records; stored, and shown on the log page, by its
/// kebab-case name (`sign-in-failed`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, AsExpression, FromSqlRow, IntoStaticStr, VariantArray)]
#[diesel(sql_type = Text)]
#[strum(serialize_all = "kebab-case")]
pub enum LogAction {
    Approve,
    Unapprove,
    Spam,
    NotSpam,
    Trash,
    Restore,
    Delete,
    Reply,
    Edit,
    NoAnswerNeeded,
    Settings,
    SignIn,
    SignInFailed,
    SignInThrottled,
    SignOut,
    /// A commenter changed their own comment (through their link or cookie).
    WriterEdit,
    /// A commenter took their own comment out.
    WriterDelete,
    /// A commenter had everything they wrote erased.
    WriterErase,
    /// Old addresses' hashes and never-moderated comments purged by age.
    Purge,
    /// A notice could not be delivered.
    MailFailed,
    /// A reader's comment showed emergency signs.
    RedFlag,
    /// The author saw to an urgent comment and cleared its mark.
    RedFlagCleared,
    /// The author removed personal details from a comment.
    Redact,
    /// An article or page saved in the desk (a draft, or a change to what is
    /// published), or an old version of it restored.
    ArticleSave,
    /// An article or page published or scheduled.
    Publish,
    /// An article or page taken back to a draft.
    Unpublish,
    /// A saved reply written, changed or deleted.
    SavedReply,
    /// The author confirmed an answer of his is still right.
    AnswerReviewed,
    /// The author added a dated note under an answer of his.
    AnswerNote,
    /// The author published an anonymised copy of a private question (and
    /// his answer) as a new public exchange; the original stays private.
    PublishAnonymised,
    /// A picture uploaded.
    MediaUpload,
    /// A picture's description changed.
    MediaEdit,
    /// A picture deleted.
    MediaDelete,
    /// An exchange added to its article's "Readers' questions".
    QuestionAdd,
    /// An exchange moved up or down in its article's "Readers' questions".
    QuestionMove,
    /// An exchange taken out of its article's "Readers' questions".
    QuestionRemove,
}

crate::domain::text_enum!(LogAction, "log action");

impl PartialEq<&str> for LogAction {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = moderation_log)]
pub struct LogEntry {
    pub id: i32,
    pub user_id: Option<UserId>,
    pub actor: String,
    pub action: LogAction,
    pub comment_id: Option<CommentId>,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub detail: String,
    pub created_at: NaiveDateTime,
}

/// One entry to write.
#[derive(Debug, Insertable)]
#[diesel(table_name = moderation_log)]
pub struct NewLogEntry {
    pub user_id: Option<UserId>,
    pub actor: String,
    pub action: LogAction,
    pub comment_id: Option<CommentId>,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub detail: String,
    pub created_at: NaiveDateTime,
}

impl NewLogEntry {
    pub fn new(user_id: Option<UserId>, actor: &str, action: LogAction) -> Self {
        Self {
            user_id,
            actor: actor.to_owned(),
            action,
            comment_id: None,
            from_status: None,
            to_status: None,
            detail: String::new(),
            created_at: now(),
        }
    }

    pub fn comment(mut self, id: CommentId, from: Option<&str>, to: Option<&str>) -> Self {
        self.comment_id = Some(id);
        self.from_status = from.map(str::to_owned);
        self.to_status = to.map(str::to_owned);
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }
}

pub fn write(conn: &mut AnyConnection, entry: &NewLogEntry) -> QueryResult<()> {
    diesel::insert_into(moderation_log::table).values(entry).execute(conn).map(|_| ())
}

/// A page of entries, newest first.
pub fn page(conn: &mut AnyConnection, offset: i64, limit: i64) -> QueryResult<Vec<LogEntry>> {
    moderation_log::table
        .order((moderation_log::created_at.desc(), moderation_log::id.desc()))
        .offset(offset)
        .limit(limit)
        .select(LogEntry::as_select())
        .load(conn)
}

pub fn count(conn: &mut AnyConnection) -> QueryResult<i64> {
    moderation_log::table.count().get_result(conn)
}

/// Blanks the details of every entry about comments `ids`, and of entries
/// that name one of them ("answered Ann (comment 7)"): a detail may hold a
/// writer's name, which goes when the writer erases what they wrote. The
/// entries stay, with their actions and ids.
pub fn scrub_details(conn: &mut AnyConnection, ids: &[crate::domain::CommentId]) -> QueryResult<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    let mut scrubbed = diesel::update(moderation_log::table.filter(moderation_log::comment_id.eq_any(ids)))
        .set(moderation_log::detail.eq(""))
        .execute(conn)?;
    for id in ids {
        scrubbed +=
            diesel::update(moderation_log::table.filter(moderation_log::detail.like(format!("%(comment {id})%"))))
                .set(moderation_log::detail.eq(""))
                .execute(conn)?;
    }
    Ok(scrubbed)
}

#[cfg(test)]
mod tests {
    use super::LogAction::*;
    use super::*;

    #[test]
    fn every_log_action_keeps_its_stored_string() {
        crate::domain::pin_stored_text!(
            LogAction,
            [
                (Approve, "approve"),
                (Unapprove, "unapprove"),
                (Spam, "spam"),
                (NotSpam, "not-spam"),
                (Trash, "trash"),
                (Restore, "restore"),
                (Delete, "delete"),
                (Reply, "reply"),
                (Edit, "edit"),
                (NoAnswerNeeded, "no-answer-needed"),
                (Settings, "settings"),
                (SignIn, "sign-in"),
                (SignInFailed, "sign-in-failed"),
                (SignInThrottled, "sign-in-throttled"),
                (SignOut, "sign-out"),
                (WriterEdit, "writer-edit"),
                (WriterDelete, "writer-delete"),
                (WriterErase, "writer-erase"),
                (Purge, "purge"),
                (MailFailed, "mail-failed"),
                (RedFlag, "red-flag"),
                (RedFlagCleared, "red-flag-cleared"),
                (Redact, "redact"),
                (ArticleSave, "article-save"),
                (Publish, "publish"),
                (Unpublish, "unpublish"),
                (SavedReply, "saved-reply"),
                (AnswerReviewed, "answer-reviewed"),
                (AnswerNote, "answer-note"),
                (PublishAnonymised, "publish-anonymised"),
                (MediaUpload, "media-upload"),
                (MediaEdit, "media-edit"),
                (MediaDelete, "media-delete"),
                (QuestionAdd, "question-add"),
                (QuestionMove, "question-move"),
                (QuestionRemove, "question-remove"),
            ]
        );
    }
}
