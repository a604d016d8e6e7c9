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
use diesel::prelude::*;

use crate::db::schema::login_attempts;
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
    let id: i32 = crate::db::write(conn, |conn| {
        diesel::insert_into(login_attempts::table)
            .values((
                login_attempts::username.eq(&attempt.username),
                login_attempts::ip_hash.eq(&attempt.ip_hash),
                login_attempts::device.eq(&attempt.device),
                login_attempts::succeeded.eq(false),
                login_attempts::created_at.eq(now()),
            ))
            .returning(login_attempts::id)
            .get_result(conn)
    })?;

    let since = window_start();
    let failures = || {
        login_attempts::table
            .filter(login_attempts::succeeded.eq(false))
            .filter(login_attempts::created_at.gt(since))
            .count()
    };
    let by_address: i64 = failures().filter(login_attempts::ip_hash.eq(&attempt.ip_hash)).get_result(conn)?;
    let by_account: i64 = match &attempt.device {
        Some(device) => failures().filter(login_attempts::device.eq(device)).get_result(conn)?,
        None => failures()
            .filter(login_attempts::username.eq(&attempt.username))
            .filter(login_attempts::device.is_null())
            .get_result(conn)?,
    };
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
    diesel::update(login_attempts::table.find(attempt.0)).set(login_attempts::succeeded.eq(true)).execute(conn)?;
    Ok(())
}

/// The password was never checked (the server was too busy): the attempt
/// is forgotten.
pub fn withdraw(conn: &mut AnyConnection, attempt: AdmittedAttempt) -> QueryResult<()> {
    diesel::delete(login_attempts::table.find(attempt.0)).execute(conn)?;
    Ok(())
}

/// Stores a finished attempt from no known device: how tests arrange
/// failures that happened elsewhere.
pub fn record(conn: &mut AnyConnection, username: &str, ip_hash: &str, succeeded: bool) -> QueryResult<()> {
    diesel::insert_into(login_attempts::table)
        .values((
            login_attempts::username.eq(username),
            login_attempts::ip_hash.eq(ip_hash),
            login_attempts::succeeded.eq(succeeded),
            login_attempts::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Old attempts say nothing any more.
fn forget_old_attempts(conn: &mut AnyConnection) -> QueryResult<()> {
    diesel::delete(login_attempts::table.filter(login_attempts::created_at.lt(now() - Duration::days(1))))
        .execute(conn)?;
    Ok(())
}
