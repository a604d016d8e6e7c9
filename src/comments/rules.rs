//! The moderation rules the author sets from the desk, stored in the
//! `settings` table. Missing or unreadable values fall back to the defaults.

use std::collections::HashMap;
use std::str::FromStr;

use anyhow::Context;
use serde::Serialize;
use strum::{IntoStaticStr, VariantArray};

use crate::db::{self, AnyConnection};

/// Which comments go live without the author looking first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, IntoStaticStr, VariantArray)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ModerationPolicy {
    /// Every comment waits for the author.
    #[default]
    HoldAll,
    /// Commenters with an approved comment (same email) go live at once.
    TrustReturning,
    /// Every comment goes live at once (links and hold words still hold).
    ApproveAll,
}

impl ModerationPolicy {
    pub fn describe(self) -> &'static str {
        match self {
            Self::HoldAll => "Hold every comment for approval",
            Self::TrustReturning => "Approve commenters who already have an approved comment",
            Self::ApproveAll => "Approve every comment at once",
        }
    }
}

crate::domain::text_enum!(ModerationPolicy, "moderation policy");

/// Which threads a long discussion shows first: its first page holds the
/// oldest threads (WordPress's default) or the newest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, IntoStaticStr, VariantArray)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ThreadOrder {
    #[default]
    Oldest,
    Newest,
}

impl ThreadOrder {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Oldest => "Oldest threads first",
            Self::Newest => "Newest threads first",
        }
    }
}

crate::domain::text_enum!(ThreadOrder, "thread order");

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rules {
    pub policy: ModerationPolicy,
    /// A comment with more links than this is held whatever the policy.
    pub max_links: usize,
    /// Words that hold a comment for approval whatever the policy.
    pub hold_words: Vec<String>,
    /// Words, emails and IP hashes whose comments go straight to spam.
    pub block_list: Vec<String>,
    /// Comments close on articles older than this many days; 0 never closes.
    pub close_after_days: u32,
    /// Comments accepted from one IP address per minute.
    pub rate_limit_per_minute: u32,
    /// Replies nest this many levels deep; deeper ones show at the last level.
    pub thread_depth: usize,
    /// A form sent sooner than this after it was shown is refused (bots are quick).
    pub min_seconds_to_submit: u32,
    /// Replaces the configured disclaimer under every article when set.
    pub disclaimer: String,
    /// A writer may change their comment this long after sending it, until
    /// the author answers it.
    pub edit_window_minutes: u32,
    /// Address hashes and browsers of comments older than this are
    /// forgotten; 0 keeps them.
    pub ip_retention_days: u32,
    /// Comments still waiting for moderation after this long are deleted;
    /// 0 keeps them.
    pub pending_retention_days: u32,
    /// A long discussion shows this many threads (a comment on the article
    /// with all its replies) a page.
    pub threads_per_page: usize,
    pub thread_order: ThreadOrder,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            policy: ModerationPolicy::HoldAll,
            max_links: 2,
            hold_words: Vec::new(),
            block_list: Vec::new(),
            close_after_days: 0,
            rate_limit_per_minute: 5,
            thread_depth: 5,
            min_seconds_to_submit: 3,
            disclaimer: String::new(),
            edit_window_minutes: 15,
            ip_retention_days: 90,
            pending_retention_days: 60,
            threads_per_page: 50,
            thread_order: ThreadOrder::Oldest,
        }
    }
}

/// The names under which each rule is stored.
pub mod keys {
    pub const POLICY: &str = "moderation_policy";
    pub const MAX_LINKS: &str = "max_links";
    pub const HOLD_WORDS: &str = "hold_words";
    pub const BLOCK_LIST: &str = "block_list";
    pub const CLOSE_AFTER_DAYS: &str = "close_after_days";
    pub const RATE_LIMIT: &str = "rate_limit_per_minute";
    pub const THREAD_DEPTH: &str = "thread_depth";
    pub const MIN_SECONDS: &str = "min_seconds_to_submit";
    pub const DISCLAIMER: &str = "disclaimer";
    pub const EDIT_WINDOW: &str = "edit_window_minutes";
    pub const IP_RETENTION: &str = "ip_retention_days";
    pub const PENDING_RETENTION: &str = "pending_retention_days";
    pub const THREADS_PER_PAGE: &str = "threads_per_page";
    pub const THREAD_ORDER: &str = "thread_order";
}

/// The moderation rules as the author last saved them.
pub fn load(conn: &mut AnyConnection) -> anyhow::Result<Rules> {
    let stored = db::settings::load_all(conn).context("loading the moderation rules")?;
    Ok(Rules::from_stored(&stored))
}

impl Rules {
    pub fn from_stored(values: &HashMap<String, String>) -> Self {
        let defaults = Self::default();
        let get = |key: &str| values.get(key).map(|v| v.trim());
        fn parse_or<T: FromStr>(value: Option<&str>, default: T) -> T {
            value.and_then(|v| v.parse().ok()).unwrap_or(default)
        }
        Self {
            policy: parse_or(get(keys::POLICY), defaults.policy),
            max_links: parse_or(get(keys::MAX_LINKS), defaults.max_links),
            hold_words: get(keys::HOLD_WORDS).map(lines).unwrap_or_default(),
            block_list: get(keys::BLOCK_LIST).map(lines).unwrap_or_default(),
            close_after_days: parse_or(get(keys::CLOSE_AFTER_DAYS), defaults.close_after_days),
            rate_limit_per_minute: parse_or(get(keys::RATE_LIMIT), defaults.rate_limit_per_minute).max(1),
            thread_depth: parse_or(get(keys::THREAD_DEPTH), defaults.thread_depth).clamp(1, 10),
            min_seconds_to_submit: parse_or(get(keys::MIN_SECONDS), defaults.min_seconds_to_submit),
            disclaimer: get(keys::DISCLAIMER).unwrap_or_default().to_owned(),
            edit_window_minutes: parse_or(get(keys::EDIT_WINDOW), defaults.edit_window_minutes),
            ip_retention_days: parse_or(get(keys::IP_RETENTION), defaults.ip_retention_days),
            pending_retention_days: parse_or(get(keys::PENDING_RETENTION), defaults.pending_retention_days),
            threads_per_page: parse_or(get(keys::THREADS_PER_PAGE), defaults.threads_per_page).clamp(1, 1_000),
            thread_order: parse_or(get(keys::THREAD_ORDER), defaults.thread_order),
        }
    }
}

/// One entry per non-empty line, trimmed.
pub fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_policy_and_thread_order_keeps_its_stored_string() {
        crate::domain::pin_stored_text!(
            ModerationPolicy,
            [
                (ModerationPolicy::HoldAll, "hold_all"),
                (ModerationPolicy::TrustReturning, "trust_returning"),
                (ModerationPolicy::ApproveAll, "approve_all"),
            ]
        );
        crate::domain::pin_stored_text!(
            ThreadOrder,
            [(ThreadOrder::Oldest, "oldest"), (ThreadOrder::Newest, "newest")]
        );
    }

    #[test]
    fn stored_values_override_the_defaults_and_bad_ones_are_ignored() {
        let stored: HashMap<String, String> = [
            (keys::POLICY, "approve_all"),
            (keys::MAX_LINKS, "not a number"),
            (keys::HOLD_WORDS, " viagra \n\n casino"),
            (keys::THREAD_DEPTH, "99"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let rules = Rules::from_stored(&stored);
        assert_eq!(rules.policy, ModerationPolicy::ApproveAll);
        assert_eq!(rules.max_links, 2);
        assert_eq!(rules.hold_words, ["viagra", "casino"]);
        assert_eq!(rules.thread_depth, 10);
    }
}
