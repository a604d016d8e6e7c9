//! The moderation log: every moderation action and sign-in. The desk never
//! deletes from it.

use chrono::NaiveDateTime;
use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::schema::moderation_log;
use super::{now, AnyConnection};
use crate::domain::{CommentId, UserId};

/// What a log entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
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

impl LogAction {
    pub const ALL: [LogAction; 36] = [
        Self::Approve,
        Self::Unapprove,
        Self::Spam,
        Self::NotSpam,
        Self::Trash,
        Self::Restore,
        Self::Delete,
        Self::Reply,
        Self::Edit,
        Self::NoAnswerNeeded,
        Self::Settings,
        Self::SignIn,
        Self::SignInFailed,
        Self::SignInThrottled,
        Self::SignOut,
        Self::WriterEdit,
        Self::WriterDelete,
        Self::WriterErase,
        Self::Purge,
        Self::MailFailed,
        Self::RedFlag,
        Self::RedFlagCleared,
        Self::Redact,
        Self::ArticleSave,
        Self::Publish,
        Self::Unpublish,
        Self::SavedReply,
        Self::AnswerReviewed,
        Self::AnswerNote,
        Self::PublishAnonymised,
        Self::MediaUpload,
        Self::MediaEdit,
        Self::MediaDelete,
        Self::QuestionAdd,
        Self::QuestionMove,
        Self::QuestionRemove,
    ];

    /// The stored name, also what the log page shows.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Unapprove => "unapprove",
            Self::Spam => "spam",
            Self::NotSpam => "not-spam",
            Self::Trash => "trash",
            Self::Restore => "restore",
            Self::Delete => "delete",
            Self::Reply => "reply",
            Self::Edit => "edit",
            Self::NoAnswerNeeded => "no-answer-needed",
            Self::Settings => "settings",
            Self::SignIn => "sign-in",
            Self::SignInFailed => "sign-in-failed",
            Self::SignInThrottled => "sign-in-throttled",
            Self::SignOut => "sign-out",
            Self::WriterEdit => "writer-edit",
            Self::WriterDelete => "writer-delete",
            Self::WriterErase => "writer-erase",
            Self::Purge => "purge",
            Self::MailFailed => "mail-failed",
            Self::RedFlag => "red-flag",
            Self::RedFlagCleared => "red-flag-cleared",
            Self::Redact => "redact",
            Self::ArticleSave => "article-save",
            Self::Publish => "publish",
            Self::Unpublish => "unpublish",
            Self::SavedReply => "saved-reply",
            Self::AnswerReviewed => "answer-reviewed",
            Self::AnswerNote => "answer-note",
            Self::PublishAnonymised => "publish-anonymised",
            Self::MediaUpload => "media-upload",
            Self::MediaEdit => "media-edit",
            Self::MediaDelete => "media-delete",
            Self::QuestionAdd => "question-add",
            Self::QuestionMove => "question-move",
            Self::QuestionRemove => "question-remove",
        }
    }
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
