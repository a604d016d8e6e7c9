use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::Text;
use serde::Serialize;
use strum::{IntoStaticStr, VariantArray};

use super::stored_text::text_enum;

/// Where a comment is in moderation. Only `Approved` comments are public.
/// `Private` is a reader's question that only the author may read, and his
/// answer to it: no public query selects it, and no moderation action
/// moves a comment into or out of it (it can only be deleted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, AsExpression, FromSqlRow, IntoStaticStr, VariantArray)]
#[diesel(sql_type = Text)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum CommentStatus {
    Pending,
    Approved,
    Spam,
    Trash,
    Private,
}

text_enum!(CommentStatus, "comment status");

#[cfg(test)]
mod tests {
    use super::CommentStatus::*;
    use super::*;

    #[test]
    fn every_status_keeps_its_stored_string() {
        crate::domain::pin_stored_text!(
            CommentStatus,
            [(Pending, "pending"), (Approved, "approved"), (Spam, "spam"), (Trash, "trash"), (Private, "private")]
        );
    }
}
