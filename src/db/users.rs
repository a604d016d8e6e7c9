//! Queries on the `users` table: the author and any moderators.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::users;
use super::{now, AnyConnection};
use crate::domain::{NoticeChoice, Role, UserId};

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub created_at: NaiveDateTime,
    /// Where notices go; empty for none.
    pub email: String,
    pub notify_on: NoticeChoice,
    pub digest_sent_at: Option<NaiveDateTime>,
}

impl User {
    /// A removed account keeps its row (its answers keep their badge) but
    /// has no password, so nobody can sign in with it.
    pub fn is_active(&self) -> bool {
        !self.password_hash.is_empty()
    }
}

pub fn insert(
    conn: &mut AnyConnection,
    username: &str,
    display_name: &str,
    role: Role,
    password_hash: &str,
) -> QueryResult<UserId> {
    // In a transaction: on SQLite a failed autocommit behind `RETURNING`
    // would go unnoticed, while a failed COMMIT is an error.
    super::write(conn, |conn| {
        diesel::insert_into(users::table)
            .values((
                users::username.eq(username),
                users::display_name.eq(display_name),
                users::role.eq(role),
                users::password_hash.eq(password_hash),
                users::created_at.eq(now()),
            ))
            .returning(users::id)
            .get_result(conn)
    })
}

pub fn find(conn: &mut AnyConnection, id: UserId) -> QueryResult<Option<User>> {
    users::table.find(id).select(User::as_select()).first(conn).optional()
}

pub fn find_by_username(conn: &mut AnyConnection, username: &str) -> QueryResult<Option<User>> {
    users::table.filter(users::username.eq(username)).select(User::as_select()).first(conn).optional()
}

/// The accounts that can sign in.
pub fn list(conn: &mut AnyConnection) -> QueryResult<Vec<User>> {
    users::table.filter(users::password_hash.ne("")).order(users::username.asc()).select(User::as_select()).load(conn)
}

/// Every account, closed ones included, by name.
pub fn list_all(conn: &mut AnyConnection) -> QueryResult<Vec<User>> {
    users::table.order(users::username.asc()).select(User::as_select()).load(conn)
}

pub fn count(conn: &mut AnyConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

pub fn set_password(conn: &mut AnyConnection, username: &str, password_hash: &str) -> QueryResult<usize> {
    diesel::update(users::table.filter(users::username.eq(username)))
        .set(users::password_hash.eq(password_hash))
        .execute(conn)
}

/// Closes an account: its sessions stop working at once and it cannot sign
/// in again until `set_password` gives it a new password.
pub fn remove(conn: &mut AnyConnection, username: &str) -> QueryResult<usize> {
    diesel::update(users::table.filter(users::username.eq(username)).filter(users::password_hash.ne("")))
        .set(users::password_hash.eq(""))
        .execute(conn)
}

/// Sets the address an account's notices go to ("" for none).
pub fn set_email(conn: &mut AnyConnection, username: &str, email: &str) -> QueryResult<usize> {
    diesel::update(users::table.filter(users::username.eq(username))).set(users::email.eq(email)).execute(conn)
}

/// Sets what an account wants to hear of.
pub fn set_notify_on(conn: &mut AnyConnection, id: UserId, choice: NoticeChoice) -> QueryResult<usize> {
    diesel::update(users::table.find(id)).set(users::notify_on.eq(choice)).execute(conn)
}

/// The open accounts with an address, for notices.
pub fn with_email(conn: &mut AnyConnection) -> QueryResult<Vec<User>> {
    users::table
        .filter(users::password_hash.ne(""))
        .filter(users::email.ne(""))
        .order(users::id.asc())
        .select(User::as_select())
        .load(conn)
}

/// The open accounts with an address that chose the daily digest and got
/// none since `day_ago`: id, address, when the last one went.
pub fn digests_due(
    conn: &mut AnyConnection,
    day_ago: NaiveDateTime,
) -> QueryResult<Vec<(UserId, String, Option<NaiveDateTime>)>> {
    users::table
        .filter(users::notify_on.eq(NoticeChoice::Digest))
        .filter(users::email.ne(""))
        .filter(users::password_hash.ne(""))
        .filter(users::digest_sent_at.is_null().or(users::digest_sent_at.le(day_ago)))
        .select((users::id, users::email, users::digest_sent_at))
        .load(conn)
}

/// Marks `user`'s digest sent at `now`, only if it is still due (another
/// instance may have just done it): 1 when this call claimed it, else 0.
pub fn claim_digest(
    conn: &mut AnyConnection,
    user: UserId,
    day_ago: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(user))
        .filter(users::digest_sent_at.is_null().or(users::digest_sent_at.le(day_ago)))
        .set(users::digest_sent_at.eq(Some(now)))
        .execute(conn)
}
