//! Sign-in throttle: after too many failures for a name or from an address
//! within a window, further attempts are refused for a while. Attempts are
//! stored in the database, so every instance counts the same.

use chrono::{Duration, NaiveDateTime};
use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::db::schema::login_attempts;
use crate::db::{now, AnyConnection};

/// Failures allowed per name and per address within the window.
pub const MAX_FAILURES: i64 = 5;
/// The window, in minutes; also how long a throttled sign-in waits.
pub const WINDOW_MINUTES: i64 = 15;

fn window_start() -> NaiveDateTime {
    now() - Duration::minutes(WINDOW_MINUTES)
}

/// Whether sign-ins for `username` or from `ip_hash` are throttled now.
pub fn is_throttled(conn: &mut AnyConnection, username: &str, ip_hash: &str) -> QueryResult<bool> {
    let recent_failures = || {
        login_attempts::table
            .filter(login_attempts::succeeded.eq(false))
            .filter(login_attempts::created_at.gt(window_start()))
            .select(count_star())
    };
    let by_name: i64 = recent_failures().filter(login_attempts::username.eq(username)).first(conn)?;
    let by_address: i64 = recent_failures().filter(login_attempts::ip_hash.eq(ip_hash)).first(conn)?;
    Ok(by_name >= MAX_FAILURES || by_address >= MAX_FAILURES)
}

pub fn record(conn: &mut AnyConnection, username: &str, ip_hash: &str, succeeded: bool) -> QueryResult<()> {
    diesel::insert_into(login_attempts::table)
        .values((
            login_attempts::username.eq(username),
            login_attempts::ip_hash.eq(ip_hash),
            login_attempts::succeeded.eq(succeeded),
            login_attempts::created_at.eq(now()),
        ))
        .execute(conn)?;
    // Old attempts say nothing any more.
    diesel::delete(login_attempts::table.filter(login_attempts::created_at.lt(now() - Duration::days(1))))
        .execute(conn)?;
    Ok(())
}
