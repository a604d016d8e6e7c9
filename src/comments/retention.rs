//! Forgetting by age, as the desk's retention settings say: the address
//! hashes and browsers of old comments, and comments nobody ever moderated.
//! The mail sender's loop calls `purge` from time to time; it also forgets
//! the one-use tokens that expired.

use chrono::{Duration, NaiveDateTime};
use diesel::QueryResult;

use super::ownership;
use super::rules::Rules;
use crate::db::comments;
use crate::db::log::{self, LogAction, NewLogEntry};
use crate::db::{spent_tokens, AnyConnection};

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

/// Comments made before this moment lose their address hash and browser
/// by `rules` at `at`; `None` when they are kept for good.
fn address_cutoff(rules: &Rules, at: NaiveDateTime) -> Option<NaiveDateTime> {
    (rules.ip_retention_days > 0).then(|| at - Duration::days(i64::from(rules.ip_retention_days)))
}

/// Comments waiting for moderation untouched since this moment are kept no
/// longer by `rules` at `at` (one the author sent back to moderation lately
/// is being looked at); `None` when they are kept for good.
fn pending_cutoff(rules: &Rules, at: NaiveDateTime) -> Option<NaiveDateTime> {
    (rules.pending_retention_days > 0).then(|| at - Duration::days(i64::from(rules.pending_retention_days)))
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
    if let Some(cutoff) = address_cutoff(rules, next_at) {
        next.addresses = usize::try_from(comments::count_with_old_addresses(conn, cutoff)?).unwrap_or(0);
    }
    let (mut pending_later, mut first_pending_goes) = (0, None);
    if let Some(cutoff) = pending_cutoff(rules, next_at) {
        next.pending = usize::try_from(comments::count_stale_pending(conn, cutoff)?).unwrap_or(0);
    }
    if let Some(cutoff) = pending_cutoff(rules, next_at + Duration::days(days)) {
        let waiting = comments::stale_pending_times(conn, cutoff)?;
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
        if let Some(cutoff) = address_cutoff(rules, now) {
            purged.addresses = comments::forget_old_addresses(conn, cutoff)?;
        }
        if let Some(cutoff) = pending_cutoff(rules, now) {
            let stale = comments::stale_pending(conn, cutoff)?;
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
