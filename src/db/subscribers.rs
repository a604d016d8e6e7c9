//! Addresses that asked for notices. The first request sends a confirmation;
//! until the address confirms, its notices wait in the outbox (held), so
//! the comment form cannot be used to mail strangers. A stopped address
//! gets nothing more.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::outbox::{self, MessageKind};
use super::schema::subscribers;
use super::{comments, AnyConnection};
use crate::domain::EmailKey;

/// Where an address stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressState {
    /// Never asked for notices.
    Unknown,
    /// Asked, not yet confirmed.
    Unconfirmed,
    Confirmed,
    /// Asked to hear nothing more.
    Stopped,
}

pub fn state(conn: &mut AnyConnection, email: &EmailKey) -> QueryResult<AddressState> {
    let row: Option<(Option<NaiveDateTime>, Option<NaiveDateTime>)> = subscribers::table
        .find(email)
        .select((subscribers::confirmed_at, subscribers::stopped_at))
        .first(conn)
        .optional()?;
    Ok(match row {
        None => AddressState::Unknown,
        Some((_, Some(_))) => AddressState::Stopped,
        Some((Some(_), None)) => AddressState::Confirmed,
        Some((None, None)) => AddressState::Unconfirmed,
    })
}

/// Records that `email` asks for notices and returns where it stood before.
/// A stopped address that asks again (by ticking the box anew) is treated
/// as unconfirmed: it must confirm again before anything is sent.
pub fn ask(conn: &mut AnyConnection, email: &EmailKey, now: NaiveDateTime) -> QueryResult<AddressState> {
    let before = state(conn, email)?;
    match before {
        AddressState::Unknown => {
            diesel::insert_into(subscribers::table)
                .values((subscribers::email.eq(email), subscribers::created_at.eq(now)))
                .execute(conn)?;
        }
        AddressState::Stopped => {
            diesel::update(subscribers::table.find(email))
                .set((
                    subscribers::stopped_at.eq(None::<NaiveDateTime>),
                    subscribers::confirmed_at.eq(None::<NaiveDateTime>),
                ))
                .execute(conn)?;
        }
        AddressState::Unconfirmed | AddressState::Confirmed => {}
    }
    Ok(before)
}

/// Confirms `email`: its held notices go out.
pub fn confirm(conn: &mut AnyConnection, email: &EmailKey, now: NaiveDateTime) -> QueryResult<()> {
    crate::db::write(conn, |conn| {
        let updated = diesel::update(subscribers::table.find(email))
            .set((subscribers::confirmed_at.eq(Some(now)), subscribers::stopped_at.eq(None::<NaiveDateTime>)))
            .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(subscribers::table)
                .values((
                    subscribers::email.eq(email),
                    subscribers::created_at.eq(now),
                    subscribers::confirmed_at.eq(Some(now)),
                ))
                .execute(conn)?;
        }
        outbox::release_held(conn, email)?;
        Ok(())
    })
}

/// Stops every notice to `email`, now and later, and drops those waiting.
pub fn stop(conn: &mut AnyConnection, email: &EmailKey, now: NaiveDateTime) -> QueryResult<()> {
    crate::db::write(conn, |conn| {
        if state(conn, email)? == AddressState::Unknown {
            diesel::insert_into(subscribers::table)
                .values((subscribers::email.eq(email), subscribers::created_at.eq(now)))
                .execute(conn)?;
        }
        diesel::update(subscribers::table.find(email)).set(subscribers::stopped_at.eq(Some(now))).execute(conn)?;
        comments::stop_notices_to(conn, email)?;
        outbox::drop_unsent_to(conn, email, &[MessageKind::Answer, MessageKind::Reply, MessageKind::Confirm])?;
        Ok(())
    })
}

/// Forgets `email` entirely (an erasure).
pub fn forget(conn: &mut AnyConnection, email: &EmailKey) -> QueryResult<()> {
    diesel::delete(subscribers::table.find(email)).execute(conn)?;
    outbox::forget_recipient(conn, email)?;
    Ok(())
}
