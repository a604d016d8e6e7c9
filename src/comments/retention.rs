//! Forgetting by age, as the desk's retention settings say: the address
//! hashes and browsers of old comments, and comments nobody ever moderated.
//! The mail sender's loop calls `purge` from time to time; it also forgets
//! the one-use tokens that expired.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::ownership;
use super::rules::Rules;
use crate::db::comments::Comment;
use crate::db::log::{self, LogAction, NewLogEntry};
use crate::db::schema::comments;
use crate::db::{spent_tokens, AnyConnection};
use crate::domain::CommentStatus;

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

/// Purges what `rules` say is kept no longer at `now`, in one transaction,
/// with a log entry (counts only) when anything went. One-use tokens that
/// expired go too: they are refused as too old without being looked up.
pub fn purge(conn: &mut AnyConnection, rules: &Rules, now: NaiveDateTime) -> QueryResult<Purged> {
    crate::db::write(conn, |conn| {
        spent_tokens::forget_expired(conn, now)?;
        let mut purged = Purged::default();
        if rules.ip_retention_days > 0 {
            let cutoff = now - Duration::days(i64::from(rules.ip_retention_days));
            purged.addresses = diesel::update(
                comments::table
                    .filter(comments::created_at.lt(cutoff))
                    .filter(comments::ip_hash.ne("").or(comments::user_agent.ne(""))),
            )
            .set((comments::ip_hash.eq(""), comments::user_agent.eq("")))
            .execute(conn)?;
        }
        if rules.pending_retention_days > 0 {
            let cutoff = now - Duration::days(i64::from(rules.pending_retention_days));
            // Untouched since the cutoff: a comment the author sent back to
            // moderation lately is being looked at.
            let stale: Vec<Comment> = comments::table
                .filter(comments::status.eq(CommentStatus::Pending))
                .filter(comments::erased_at.is_null())
                .filter(comments::created_at.lt(cutoff))
                .filter(comments::updated_at.lt(cutoff))
                .order(comments::id.desc())
                .select(Comment::as_select())
                .load(conn)?;
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
