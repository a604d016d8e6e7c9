//! Forgetting by age, as the desk's retention settings say: the address
//! hashes and browsers of old comments, and comments nobody ever moderated.
//! The mail sender's loop calls `purge` from time to time; it also forgets
//! the one-use tokens that expired.

use chrono::{Duration, NaiveDateTime};
use diesel::expression::BoxableExpression;
use diesel::prelude::*;
use diesel::sql_types::Bool;

use super::ownership;
use super::rules::Rules;
use crate::db::comments::Comment;
use crate::db::log::{self, LogAction, NewLogEntry};
use crate::db::schema::comments;
use crate::db::{spent_tokens, AnyConnection, MultiBackend};
use crate::domain::CommentStatus;

/// How often each instance purges (and once when it starts).
pub const EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// What one purge did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Purged {
    /// Comments whose address hash and browser were forgotten.
    pub addresses: usize,
    /// Comments deleted after waiting for moderation too long.
    pub pending: usize,
}

impl Purged {
    pub fn is_empty(&self) -> bool {
        self.addresses == 0 && self.pending == 0
    }
}

/// A test on a comment, as the purge applies it.
type Predicate = Box<dyn BoxableExpression<comments::table, MultiBackend, SqlType = Bool>>;

/// The comments whose address hash and browser `rules` keep no longer at
/// `at`; `None` when they are kept for good.
fn old_addresses(rules: &Rules, at: NaiveDateTime) -> Option<Predicate> {
    (rules.ip_retention_days > 0).then(|| -> Predicate {
        let cutoff = at - Duration::days(i64::from(rules.ip_retention_days));
        Box::new(comments::created_at.lt(cutoff).and(comments::ip_hash.ne("").or(comments::user_agent.ne(""))))
    })
}

/// The comments waiting for moderation that `rules` keep no longer at `at`:
/// untouched since the cutoff, since a comment the author sent back to
/// moderation lately is being looked at. `None` when they are kept for good.
fn stale_pending(rules: &Rules, at: NaiveDateTime) -> Option<Predicate> {
    (rules.pending_retention_days > 0).then(|| -> Predicate {
        let cutoff = at - Duration::days(i64::from(rules.pending_retention_days));
        Box::new(
            comments::status
                .eq(CommentStatus::Pending)
                .and(comments::erased_at.is_null())
                .and(comments::created_at.lt(cutoff))
                .and(comments::updated_at.lt(cutoff)),
        )
    })
}

/// What the purge will do if nothing changes meanwhile: the next one (due
/// by `next_at`), and the comments waiting for moderation it deletes in
/// the `days` after that, with the moment the first of them goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Forecast {
    pub next: Purged,
    pub pending_later: usize,
    pub first_pending_goes: Option<NaiveDateTime>,
}

/// Counts what a purge by `rules` at `next_at` would remove, and what it
/// would delete of the comments waiting for moderation in the `days` after,
/// by the same tests `purge` applies.
pub fn forecast(conn: &mut AnyConnection, rules: &Rules, next_at: NaiveDateTime, days: i64) -> QueryResult<Forecast> {
    let mut next = Purged::default();
    if let Some(old) = old_addresses(rules, next_at) {
        next.addresses = usize::try_from(comments::table.filter(old).count().get_result::<i64>(conn)?).unwrap_or(0);
    }
    let (mut pending_later, mut first_pending_goes) = (0, None);
    if let Some(stale) = stale_pending(rules, next_at) {
        next.pending = usize::try_from(comments::table.filter(stale).count().get_result::<i64>(conn)?).unwrap_or(0);
    }
    if let Some(stale) = stale_pending(rules, next_at + Duration::days(days)) {
        let waiting: Vec<(NaiveDateTime, NaiveDateTime)> =
            comments::table.filter(stale).select((comments::created_at, comments::updated_at)).load(conn)?;
        let kept = Duration::days(i64::from(rules.pending_retention_days));
        let goes: Vec<NaiveDateTime> = waiting.iter().map(|&(created, updated)| created.max(updated) + kept).collect();
        pending_later = goes.iter().filter(|&&at| at > next_at).count();
        first_pending_goes = goes.into_iter().filter(|&at| at > next_at).min();
    }
    Ok(Forecast { next, pending_later, first_pending_goes })
}

/// Purges what `rules` say is kept no longer at `now`, in one transaction,
/// with a log entry (counts only) when anything went. One-use tokens that
/// expired go too: they are refused as too old without being looked up.
pub fn purge(conn: &mut AnyConnection, rules: &Rules, now: NaiveDateTime) -> QueryResult<Purged> {
    crate::db::write(conn, |conn| {
        spent_tokens::forget_expired(conn, now)?;
        let mut purged = Purged::default();
        if let Some(old) = old_addresses(rules, now) {
            purged.addresses = diesel::update(comments::table.filter(old))
                .set((comments::ip_hash.eq(""), comments::user_agent.eq("")))
                .execute(conn)?;
        }
        if let Some(stale) = stale_pending(rules, now) {
            let stale: Vec<Comment> =
                comments::table.filter(stale).order(comments::id.desc()).select(Comment::as_select()).load(conn)?;
            for comment in &stale {
                ownership::remove(conn, comment, now)?;
            }
            purged.pending = stale.len();
        }
        if !purged.is_empty() {
            let entry = NewLogEntry::new(None, "retention", LogAction::Purge).detail(format!(
                "forgot the address hashes and browsers of {} comments; deleted {} comments never moderated",
                purged.addresses, purged.pending
            ));
            log::write(conn, &entry)?;
        }
        Ok(purged)
    })
}
