//! Tokens that work once: a comment form's, an email's one-click action.
//! A spent token is remembered (by hash) until it would have expired anyway.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use sha2::{Digest, Sha256};

use super::schema::spent_form_tokens as spent;
use super::AnyConnection;
use crate::keys::hex;

/// Records `token` as used; `false` when it already was. Runs in a
/// savepoint, so that on PostgreSQL a second use does not abort the
/// caller's transaction.
pub fn spend(
    conn: &mut AnyConnection,
    token: &str,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::delete(spent::table.filter(spent::expires_at.lt(now))).execute(conn)?;
    let token_hash = hash(token);
    let inserted = conn.transaction(|conn| {
        diesel::insert_into(spent::table)
            .values((spent::token_hash.eq(token_hash), spent::expires_at.eq(expires_at)))
            .execute(conn)
    });
    match inserted {
        Ok(_) => Ok(true),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(error) => Err(error),
    }
}

/// Whether `token` was used.
pub fn is_spent(conn: &mut AnyConnection, token: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(spent::table.find(hash(token)))).get_result(conn)
}

/// Tokens are remembered by hash, never as they are.
fn hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}
