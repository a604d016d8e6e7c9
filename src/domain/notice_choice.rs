use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::Text;
use serde::Serialize;
use strum::{IntoStaticStr, VariantArray};

use super::stored_text::text_enum;

/// What a desk account wants to hear of by email.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, AsExpression, FromSqlRow, IntoStaticStr, VariantArray)]
#[diesel(sql_type = Text)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum NoticeChoice {
    /// Every reader's comment, as it arrives.
    Every,
    /// Only questions to the author (see `db::comments::unanswered`).
    Questions,
    /// One email a day listing what arrived.
    Digest,
    /// Stored as `none`, the word the desk has always stored.
    #[strum(serialize = "none")]
    Nothing,
}

impl NoticeChoice {
    /// As the desk's settings offer it.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Every => "Every new comment",
            Self::Questions => "Only questions to me",
            Self::Digest => "A daily digest",
            Self::Nothing => "Nothing",
        }
    }
}

text_enum!(NoticeChoice, "notice choice");

#[cfg(test)]
mod tests {
    use super::NoticeChoice::*;
    use super::*;

    #[test]
    fn every_notice_choice_keeps_its_stored_string() {
        crate::domain::pin_stored_text!(
            NoticeChoice,
            [(Every, "every"), (Questions, "questions"), (Digest, "digest"), (Nothing, "none")]
        );
    }
}
