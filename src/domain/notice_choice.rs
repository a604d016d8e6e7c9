use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::Text;
use serde::Serialize;

use super::stored_text::text_enum;

/// What a desk account wants to hear of by email.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
#[serde(rename_all = "lowercase")]
pub enum NoticeChoice {
    /// Every reader's comment, as it arrives.
    Every,
    /// Only questions to the author (see `db::comments::unanswered`).
    Questions,
    /// One email a day listing what arrived.
    Digest,
    Nothing,
}

impl NoticeChoice {
    pub const ALL: [NoticeChoice; 4] = [Self::Every, Self::Questions, Self::Digest, Self::Nothing];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Every => "every",
            Self::Questions => "questions",
            Self::Digest => "digest",
            Self::Nothing => "none",
        }
    }

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
