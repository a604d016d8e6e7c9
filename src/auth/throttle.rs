//! Sign-in throttle: after too many failures for a name or from an address
//! within a window, further attempts are refused for a while. Attempts are
//! stored in the database, so every instance counts the same.
//!
//! An attempt is written down as a failure *before* its password is checked,
//! and only then are the failures counted. Checking first and writing
//! afterwards let thirty simultaneous guesses all see a clean slate; this
//! way the guess whose row is the k-th to be committed sees at least k
//! failures, so at most [`MAX_FAILURES`] guesses are ever checked, on
//! SQLite and on PostgreSQL, from one instance or several.
//!
//! A browser that has signed in before carries a device cookie. Its
//! attempts count against that device instead of against the name, so
//! that strangers guessing at the author's name cannot lock the author
//! out (OWASP's "device cookies"); the address still counts for everyone.

use chrono::{Duration, NaiveDateTime};
use diesel::QueryResult;

use crate::db::login_attempts::{self, NewAttempt};
use crate::db::{now, AnyConnection};

/// Failures allowed per name, per device and per address within the window.
pub const MAX_FAILURES: i64 = 5;
/// The window, in minutes; also how long a throttled sign-in waits.
pub const WINDOW_MINUTES: i64 = 15;

/// Who is trying to sign in.
#[derive(Clone, Debug)]
pub struct Attempt {
    pub username: String,
    pub ip_hash: String,
    /// The id in a genuine device cookie issued to `username`, if the
    /// browser sent one.
    pub device: Option<String>,
}

/// A recorded attempt whose password may be checked.
#[derive(Clone, Copy, Debug)]
pub struct AdmittedAttempt(i32);

#[derive(Debug)]
pub enum Admission {
    Admitted(AdmittedAttempt),
    /// Too many recent failures for this name (or device) or address.
    Throttled,
}

fn window_start() -> NaiveDateTime {
    now() - Duration::minutes(WINDOW_MINUTES)
}

/// Records `attempt` as a failure and commits it, then counts the failures
/// in the window, its own included. Must not run inside a transaction: the
/// count has to see every other instance's committed attempts.
pub fn admit(conn: &mut AnyConnection, attempt: &Attempt) -> QueryResult<Admission> {
    forget_old_attempts(conn)?;
    // Committed on its own before the count; in a transaction so that a
    // failed commit is an error, never an id of a row that was not kept.
    let new = NewAttempt {
        username: &attempt.username,
        ip_hash: &attempt.ip_hash,
        device: attempt.device.as_deref(),
        succeeded: false,
        at: now(),
    };
    let id = crate::db::write(conn, |conn| login_attempts::insert(conn, &new))?;
    let (by_address, by_account) = login_attempts::failures_since(
        conn,
        window_start(),
        &attempt.ip_hash,
        &attempt.username,
        attempt.device.as_deref(),
    )?;
    if by_address > MAX_FAILURES || by_account > MAX_FAILURES {
        // A refused attempt checked no password: counting it would only
        // stretch the lock for as long as someone keeps knocking.
        withdraw(conn, AdmittedAttempt(id))?;
        return Ok(Admission::Throttled);
    }
    Ok(Admission::Admitted(AdmittedAttempt(id)))
}

/// The password was right: the attempt stops counting as a failure.
pub fn mark_succeeded(conn: &mut AnyConnection, attempt: AdmittedAttempt) -> QueryResult<()> {
    login_attempts::mark_succeeded(conn, attempt.0)
}

/// The password was never checked (the server was too busy): the attempt
/// is forgotten.
pub fn withdraw(conn: &mut AnyConnection, attempt: AdmittedAttempt) -> QueryResult<()> {
    login_attempts::delete(conn, attempt.0)
}

/// Stores a finished attempt from no known device: how tests arrange
/// failures that happened elsewhere.
pub fn record(conn: &mut AnyConnection, username: &str, ip_hash: &str, succeeded: bool) -> QueryResult<()> {
    login_attempts::insert(conn, &NewAttempt { username, ip_hash, device: None, succeeded, at: now() })?;
    Ok(())
}

/// Old attempts say nothing any more.
fn forget_old_attempts(conn: &mut AnyConnection) -> QueryResult<()> {
    login_attempts::delete_before(conn, now() - Duration::days(1))
}
