//! Tokens that work once: a comment form's, an email's one-click action.
//! A spent token is remembered (by hash) until it would have expired anyway.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::schema::spent_form_tokens as spent;
use super::AnyConnection;
use crate::keys::hex;

/// Records `token` as used; `false` when it already was. A second use
/// inserts nothing (`ON CONFLICT DO NOTHING`) rather than failing, so the
/// caller's transaction goes on without a savepoint on either backend.
/// The token is remembered until `expires_at`, when it would be refused
/// as too old anyway (`forget_expired`).
pub fn spend(conn: &mut AnyConnection, token: &str, expires_at: NaiveDateTime) -> QueryResult<bool> {
    let row = (spent::token_hash.eq(hash(token)), spent::expires_at.eq(expires_at));
    // diesel's MultiConnection has no upsert: each backend is asked directly.
    let inserted = match conn {
        AnyConnection::Sqlite(conn) => {
            diesel::insert_into(spent::table).values(row).on_conflict_do_nothing().execute(conn)?
        }
        AnyConnection::Postgresql(conn) => {
            diesel::insert_into(spent::table).values(row).on_conflict_do_nothing().execute(conn)?
        }
    };
    Ok(inserted == 1)
}

/// Forgets the tokens that expired before `now`, in one pass over them
/// all (the table has no index on expiry, so that spending a token writes
/// one page): the hourly purge calls it.
pub fn forget_expired(conn: &mut AnyConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(spent::table.filter(spent::expires_at.lt(now))).execute(conn)
}

/// Whether `token` was used.
pub fn is_spent(conn: &mut AnyConnection, token: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(spent::table.find(hash(token)))).get_result(conn)
}

/// Tokens are remembered by hash, never as they are.
fn hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}
