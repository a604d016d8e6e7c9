use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::Text;
use serde::Serialize;

use super::stored_text::text_enum;

/// Where a comment is in moderation. Only `Approved` comments are public.
/// `Private` is a reader's question that only the author may read, and his
/// answer to it: no public query selects it, and no moderation action
/// moves a comment into or out of it (it can only be deleted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
#[serde(rename_all = "lowercase")]
pub enum CommentStatus {
    Pending,
    Approved,
    Spam,
    Trash,
    Private,
}

impl CommentStatus {
    pub const ALL: [CommentStatus; 5] = [Self::Pending, Self::Approved, Self::Spam, Self::Trash, Self::Private];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Spam => "spam",
            Self::Trash => "trash",
            Self::Private => "private",
        }
    }
}

text_enum!(CommentStatus, "comment status");
