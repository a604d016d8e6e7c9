//! The outbox: one row per message, written in the same transaction as the
//! event that causes it, so a committed comment always has its notices and
//! a rolled-back one has none. Senders claim due rows with a lease (on
//! PostgreSQL skipping rows another instance holds), deliver, and record
//! the outcome; a row whose sender died is claimed again when its lease
//! runs out.

use chrono::{Duration, NaiveDateTime};
use diesel::deserialize::FromSqlRow;
use diesel::expression::AsExpression;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{Integer, Text, Timestamp};
use strum::{IntoStaticStr, VariantArray};

use super::schema::outbox;
use super::AnyConnection;
use crate::domain::{text_enum, CommentId, EmailKey, UserId};

/// What a message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, AsExpression, FromSqlRow, IntoStaticStr, VariantArray)]
#[diesel(sql_type = Text)]
#[strum(serialize_all = "kebab-case")]
pub enum MessageKind {
    /// To a desk account: a reader's comment arrived.
    NewComment,
    /// To a desk account: what arrived in a day.
    Digest,
    /// To a reader: the author answered their comment.
    Answer,
    /// To a reader: another reader replied to their comment.
    Reply,
    /// To an address that asked for notices: please confirm.
    Confirm,
    /// To a commenter who asked for it: the link to manage their comments.
    ManageLink,
}

text_enum!(MessageKind, "message kind");

/// A message to queue.
#[derive(Debug, Insertable)]
#[diesel(table_name = outbox)]
pub struct NewMessage {
    pub kind: MessageKind,
    pub recipient: String,
    pub comment_id: Option<CommentId>,
    pub user_id: Option<UserId>,
    /// The same event never queues a second message: a comment approved,
    /// unapproved and approved again answers its asker once.
    pub dedupe_key: String,
    /// Waits until the recipient confirms their address.
    pub held: bool,
    pub since: Option<NaiveDateTime>,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

impl NewMessage {
    pub fn new(kind: MessageKind, recipient: &str, dedupe_key: String, now: NaiveDateTime) -> Self {
        Self {
            kind,
            recipient: recipient.to_owned(),
            comment_id: None,
            user_id: None,
            dedupe_key,
            held: false,
            since: None,
            next_attempt_at: now,
            created_at: now,
        }
    }

    pub fn about(mut self, comment: CommentId) -> Self {
        self.comment_id = Some(comment);
        self
    }

    pub fn for_user(mut self, user: UserId) -> Self {
        self.user_id = Some(user);
        self
    }

    pub fn held(mut self, held: bool) -> Self {
        self.held = held;
        self
    }
}

/// A queued message.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct Message {
    pub id: i32,
    pub kind: MessageKind,
    pub recipient: String,
    pub comment_id: Option<CommentId>,
    pub user_id: Option<UserId>,
    pub dedupe_key: String,
    pub held: bool,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub failed_at: Option<NaiveDateTime>,
    pub last_error: String,
    pub since: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

/// Queues `message` unless a message for the same event is already queued
/// or sent; returns whether it was queued. Runs in a savepoint, so that on
/// PostgreSQL a duplicate does not abort the caller's transaction.
pub fn enqueue(conn: &mut AnyConnection, message: &NewMessage) -> QueryResult<bool> {
    let inserted =
        crate::db::write(conn, |conn| diesel::insert_into(outbox::table).values(message).execute(conn).map(|_| ()));
    match inserted {
        Ok(()) => Ok(true),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(error) => Err(error),
    }
}

#[derive(QueryableByName)]
struct ClaimedId {
    #[diesel(sql_type = Integer)]
    id: i32,
}

/// Takes up to `limit` due messages for this sender until `now + lease`:
/// no other sender takes them meanwhile. Each claim counts as an attempt.
pub fn claim(conn: &mut AnyConnection, now: NaiveDateTime, lease: Duration, limit: i64) -> QueryResult<Vec<Message>> {
    let until = now + lease;
    let ids: Vec<i32> = match conn {
        AnyConnection::Postgresql(pg) => diesel::sql_query(
            "UPDATE outbox SET lease_until = $1, attempts = attempts + 1 WHERE id IN (SELECT id FROM outbox \
             WHERE sent_at IS NULL AND failed_at IS NULL AND held = FALSE AND next_attempt_at <= $2 \
             AND (lease_until IS NULL OR lease_until < $2) ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) \
             RETURNING id",
        )
        .bind::<Timestamp, _>(until)
        .bind::<Timestamp, _>(now)
        .bind::<diesel::sql_types::BigInt, _>(limit)
        .load::<ClaimedId>(pg)?,
        // SQLite runs one writer at a time: the statement is the claim.
        AnyConnection::Sqlite(sqlite) => diesel::sql_query(
            "UPDATE outbox SET lease_until = ?, attempts = attempts + 1 WHERE id IN (SELECT id FROM outbox \
             WHERE sent_at IS NULL AND failed_at IS NULL AND held = 0 AND next_attempt_at <= ? \
             AND (lease_until IS NULL OR lease_until < ?) ORDER BY id LIMIT ?) RETURNING id",
        )
        .bind::<Timestamp, _>(until)
        .bind::<Timestamp, _>(now)
        .bind::<Timestamp, _>(now)
        .bind::<diesel::sql_types::BigInt, _>(limit)
        .load::<ClaimedId>(sqlite)?,
    }
    .into_iter()
    .map(|claimed| claimed.id)
    .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    outbox::table.filter(outbox::id.eq_any(ids)).order(outbox::id.asc()).select(Message::as_select()).load(conn)
}

pub fn mark_sent(conn: &mut AnyConnection, id: i32, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(outbox::table.find(id))
        .set((outbox::sent_at.eq(Some(now)), outbox::lease_until.eq(None::<NaiveDateTime>), outbox::last_error.eq("")))
        .execute(conn)
}

/// Gives the message back to be tried again at `at`.
pub fn retry_at(conn: &mut AnyConnection, id: i32, at: NaiveDateTime, error: &str) -> QueryResult<usize> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::next_attempt_at.eq(at),
            outbox::lease_until.eq(None::<NaiveDateTime>),
            outbox::last_error.eq(error),
        ))
        .execute(conn)
}

/// Gives up on the message: the desk shows it with `error`.
pub fn mark_failed(conn: &mut AnyConnection, id: i32, now: NaiveDateTime, error: &str) -> QueryResult<usize> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::failed_at.eq(Some(now)),
            outbox::lease_until.eq(None::<NaiveDateTime>),
            outbox::last_error.eq(error),
        ))
        .execute(conn)
}

/// Forgets a message that no longer has anything to say (its comment is
/// gone, its recipient stopped notices).
pub fn cancel(conn: &mut AnyConnection, id: i32) -> QueryResult<usize> {
    diesel::delete(outbox::table.find(id)).execute(conn)
}

/// Drops the unsent messages about `comment` (it was removed).
pub fn drop_unsent_about(conn: &mut AnyConnection, comment: CommentId) -> QueryResult<usize> {
    diesel::delete(outbox::table.filter(outbox::comment_id.eq(comment)).filter(outbox::sent_at.is_null())).execute(conn)
}

/// Drops the unsent messages to `recipient` about the replies to `comment`
/// (they stopped following its thread).
pub fn drop_unsent_replies_to(
    conn: &mut AnyConnection,
    recipient: &EmailKey,
    comment: CommentId,
) -> QueryResult<usize> {
    use super::schema::comments;
    let replies = comments::table.filter(comments::parent_id.eq(comment)).select(comments::id.nullable());
    diesel::delete(
        outbox::table
            .filter(outbox::recipient.eq(recipient.as_str()))
            .filter(outbox::sent_at.is_null())
            .filter(outbox::comment_id.eq_any(replies)),
    )
    .execute(conn)
}

/// Drops the unsent messages of `kinds` to the account `user`.
pub fn drop_unsent_to_account(conn: &mut AnyConnection, user: UserId, kinds: &[MessageKind]) -> QueryResult<usize> {
    diesel::delete(
        outbox::table
            .filter(outbox::user_id.eq(user))
            .filter(outbox::sent_at.is_null())
            .filter(outbox::kind.eq_any(kinds)),
    )
    .execute(conn)
}

/// Lets the messages held for `recipient` go, once the address is confirmed.
pub fn release_held(conn: &mut AnyConnection, recipient: &EmailKey) -> QueryResult<usize> {
    diesel::update(outbox::table.filter(outbox::recipient.eq(recipient.as_str())).filter(outbox::held.eq(true)))
        .set(outbox::held.eq(false))
        .execute(conn)
}

/// Drops every unsent message to `recipient` (of `kinds`), when they stop
/// notices or erase what they wrote.
pub fn drop_unsent_to(conn: &mut AnyConnection, recipient: &EmailKey, kinds: &[MessageKind]) -> QueryResult<usize> {
    diesel::delete(
        outbox::table
            .filter(outbox::recipient.eq(recipient.as_str()))
            .filter(outbox::kind.eq_any(kinds))
            .filter(outbox::sent_at.is_null()),
    )
    .execute(conn)
}

/// Forgets the address of every message to `recipient`, sent or not: what
/// an erasure leaves is the fact that something was sent, to nobody.
pub fn forget_recipient(conn: &mut AnyConnection, recipient: &EmailKey) -> QueryResult<usize> {
    diesel::delete(outbox::table.filter(outbox::recipient.eq(recipient.as_str())).filter(outbox::sent_at.is_null()))
        .execute(conn)?;
    diesel::update(outbox::table.filter(outbox::recipient.eq(recipient.as_str())))
        .set(outbox::recipient.eq(""))
        .execute(conn)
}

/// What the desk shows about mail: how many messages wait, and the ones
/// that could not be delivered, newest first.
pub struct Status {
    pub waiting: i64,
    pub held: i64,
    pub failed: Vec<Message>,
}

pub fn status(conn: &mut AnyConnection, limit: i64) -> QueryResult<Status> {
    let unsent = outbox::table.filter(outbox::sent_at.is_null()).filter(outbox::failed_at.is_null());
    let waiting = unsent.filter(outbox::held.eq(false)).count().get_result(conn)?;
    let held = unsent.filter(outbox::held.eq(true)).count().get_result(conn)?;
    let failed = outbox::table
        .filter(outbox::failed_at.is_not_null())
        .order(outbox::id.desc())
        .limit(limit)
        .select(Message::as_select())
        .load(conn)?;
    Ok(Status { waiting, held, failed })
}

#[cfg(test)]
mod tests {
    use super::MessageKind::*;
    use super::*;

    #[test]
    fn every_message_kind_keeps_its_stored_string() {
        crate::domain::pin_stored_text!(
            MessageKind,
            [
                (NewComment, "new-comment"),
                (Digest, "digest"),
                (Answer, "answer"),
                (Reply, "reply"),
                (Confirm, "confirm"),
                (ManageLink, "manage-link"),
            ]
        );
    }
}
