use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::sql_types::Text;
use serde::Serialize;
use strum::{IntoStaticStr, VariantArray};

use super::stored_text::text_enum;

/// What a desk account may be: the blog's author, or a moderator they added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, AsExpression, FromSqlRow, IntoStaticStr, VariantArray)]
#[diesel(sql_type = Text)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum Role {
    Author,
    Moderator,
}

impl Role {
    /// The badge beside the account's answers.
    pub fn badge(self) -> &'static str {
        match self {
            Self::Author => "Author",
            Self::Moderator => "Moderator",
        }
    }
}

text_enum!(Role, "account role");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_keeps_its_stored_string() {
        crate::domain::pin_stored_text!(Role, [(Role::Author, "author"), (Role::Moderator, "moderator")]);
    }
}
