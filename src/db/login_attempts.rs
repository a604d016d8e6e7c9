//! Sign-in attempts, as the throttle (`auth::throttle`) records and counts
//! them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::login_attempts;
use super::AnyConnection;

/// Who tried to sign in, and from where.
pub struct NewAttempt<'a> {
    pub username: &'a str,
    pub ip_hash: &'a str,
    pub device: Option<&'a str>,
    pub succeeded: bool,
    pub at: NaiveDateTime,
}

/// Stores an attempt; its id.
pub fn insert(conn: &mut AnyConnection, attempt: &NewAttempt) -> QueryResult<i32> {
    diesel::insert_into(login_attempts::table)
        .values((
            login_attempts::username.eq(attempt.username),
            login_attempts::ip_hash.eq(attempt.ip_hash),
            login_attempts::device.eq(attempt.device),
            login_attempts::succeeded.eq(attempt.succeeded),
            login_attempts::created_at.eq(attempt.at),
        ))
        .returning(login_attempts::id)
        .get_result(conn)
}

/// Failures since `since`: from the address `ip_hash`, and for the device
/// (when there is one) or else for the name from no known device.
pub fn failures_since(
    conn: &mut AnyConnection,
    since: NaiveDateTime,
    ip_hash: &str,
    username: &str,
    device: Option<&str>,
) -> QueryResult<(i64, i64)> {
    let failures = || {
        login_attempts::table
            .filter(login_attempts::succeeded.eq(false))
            .filter(login_attempts::created_at.gt(since))
            .count()
    };
    let by_address: i64 = failures().filter(login_attempts::ip_hash.eq(ip_hash)).get_result(conn)?;
    let by_account: i64 = match device {
        Some(device) => failures().filter(login_attempts::device.eq(device)).get_result(conn)?,
        None => failures()
            .filter(login_attempts::username.eq(username))
            .filter(login_attempts::device.is_null())
            .get_result(conn)?,
    };
    Ok((by_address, by_account))
}

pub fn mark_succeeded(conn: &mut AnyConnection, id: i32) -> QueryResult<()> {
    diesel::update(login_attempts::table.find(id)).set(login_attempts::succeeded.eq(true)).execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut AnyConnection, id: i32) -> QueryResult<()> {
    diesel::delete(login_attempts::table.find(id)).execute(conn)?;
    Ok(())
}

/// Forgets the attempts made before `before`.
pub fn delete_before(conn: &mut AnyConnection, before: NaiveDateTime) -> QueryResult<()> {
    diesel::delete(login_attempts::table.filter(login_attempts::created_at.lt(before))).execute(conn)?;
    Ok(())
}
