//! What the links in emails carry, and how long they work.

use serde::{Deserialize, Serialize};
use strum::{IntoStaticStr, VariantArray};

use crate::domain::{text_enum, CommentId, UserId};
use crate::keys::Keys;
use crate::signed_links::{self, Purpose};

/// An address confirms within a week.
pub const CONFIRM_LIFETIME_SECS: i64 = 7 * 24 * 3600;
/// "Stop" links keep working as long as anyone may still read the email.
pub const UNSUBSCRIBE_LIFETIME_SECS: i64 = 2 * 365 * 24 * 3600;
/// A "manage my comments" link works for a day.
pub const MANAGE_LIFETIME_SECS: i64 = 24 * 3600;
/// The author's one-click actions work for a week, once.
pub const DESK_ACTION_LIFETIME_SECS: i64 = 7 * 24 * 3600;

/// What a "stop" link stops.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "stop", rename_all = "lowercase")]
pub enum Stop {
    /// Notices about one comment of a reader's (its answers and replies).
    Thread { email: String, comment: CommentId },
    /// Every notice to a reader's address.
    Address { email: String },
    /// Every notice to a desk account.
    Account { user: UserId },
}

/// One of the author's actions on a comment, from a notice. Its string is
/// in the links of emails already sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, IntoStaticStr, VariantArray)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "lowercase")]
pub enum DeskVerb {
    Approve,
    Spam,
    Answer,
}

text_enum!(DeskVerb, "desk action");

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeskAction {
    pub verb: DeskVerb,
    pub comment: CommentId,
    pub user: UserId,
    /// Which notice the link came from: each notice's links are their own.
    pub message: i32,
}

/// Absolute links for the emails of one site.
pub struct Links<'a> {
    pub keys: &'a Keys,
    pub base_url: &'a str,
    /// Unix seconds.
    pub now: i64,
}

impl Links<'_> {
    pub fn confirm(&self, email: &str) -> String {
        let token = signed_links::sign(self.keys, Purpose::Confirm, &email, self.now + CONFIRM_LIFETIME_SECS);
        format!("{}/mail/confirm/{token}", self.base_url)
    }

    pub fn unsubscribe(&self, stop: &Stop) -> String {
        let token = signed_links::sign(self.keys, Purpose::Unsubscribe, stop, self.now + UNSUBSCRIBE_LIFETIME_SECS);
        format!("{}/mail/unsubscribe/{token}", self.base_url)
    }

    pub fn manage(&self, email: &str) -> String {
        let token = signed_links::sign(self.keys, Purpose::Manage, &email, self.now + MANAGE_LIFETIME_SECS);
        format!("{}/comments/manage/{token}", self.base_url)
    }

    pub fn desk_action(&self, action: &DeskAction) -> String {
        let token = signed_links::sign(self.keys, Purpose::DeskAction, action, self.now + DESK_ACTION_LIFETIME_SECS);
        format!("{}/mail/act/{token}", self.base_url)
    }
}

#[cfg(test)]
mod tests {
    use super::DeskVerb::*;
    use super::*;

    #[test]
    fn every_desk_verb_keeps_the_string_its_links_carry() {
        crate::domain::pin_stored_text!(DeskVerb, [(Approve, "approve"), (Spam, "spam"), (Answer, "answer")]);
        for &verb in DeskVerb::ALL {
            let sent = serde_json::to_string(&verb).expect("a verb is written");
            assert_eq!(sent, format!("\"{verb}\""), "{verb:?} is sent in links as it is stored");
            assert_eq!(serde_json::from_str::<DeskVerb>(&sent).ok(), Some(verb), "{sent} is read back");
        }
    }
}
