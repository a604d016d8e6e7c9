//! The desk's sessions (`auth::session_store`): a hash of each session key,
//! its state as JSON, and when it expires.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::sessions;
use super::AnyConnection;

/// The state of the session stored under `id`, unless it expired by `now`.
pub fn find_state(conn: &mut AnyConnection, id: &str, now: NaiveDateTime) -> QueryResult<Option<String>> {
    sessions::table
        .filter(sessions::id.eq(id))
        .filter(sessions::expires_at.gt(now))
        .select(sessions::state)
        .first(conn)
        .optional()
}

/// Stores a new session, sweeping the sessions expired by `now` first.
pub fn create(
    conn: &mut AnyConnection,
    id: &str,
    state: &str,
    expires: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(conn)?;
    diesel::insert_into(sessions::table)
        .values((sessions::id.eq(id), sessions::state.eq(state), sessions::expires_at.eq(expires)))
        .execute(conn)?;
    Ok(())
}

/// Replaces a session's state and expiry; how many sessions were found (0
/// when it ended meanwhile).
pub fn update(conn: &mut AnyConnection, id: &str, state: &str, expires: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(sessions::table.find(id))
        .set((sessions::state.eq(state), sessions::expires_at.eq(expires)))
        .execute(conn)
}

pub fn extend(conn: &mut AnyConnection, id: &str, expires: NaiveDateTime) -> QueryResult<()> {
    diesel::update(sessions::table.find(id)).set(sessions::expires_at.eq(expires)).execute(conn)?;
    Ok(())
}

pub fn delete(conn: &mut AnyConnection, id: &str) -> QueryResult<()> {
    diesel::delete(sessions::table.find(id)).execute(conn)?;
    Ok(())
}

/// Ends every session: everyone signs in again.
pub fn delete_all(conn: &mut AnyConnection) -> QueryResult<usize> {
    diesel::delete(sessions::table).execute(conn)
}
