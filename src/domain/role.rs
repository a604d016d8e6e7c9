use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::Text;
use serde::Serialize;

use super::stored_text::text_enum;

/// What a desk account may be: the blog's author, or a moderator they added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Author,
    Moderator,
}

impl Role {
    pub const ALL: [Role; 2] = [Self::Author, Self::Moderator];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Author => "author",
            Self::Moderator => "moderator",
        }
    }

    /// The badge beside the account's answers.
    pub fn badge(self) -> &'static str {
        match self {
            Self::Author => "Author",
            Self::Moderator => "Moderator",
        }
    }
}

text_enum!(Role, "account role");
