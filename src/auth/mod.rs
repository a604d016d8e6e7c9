//! Who may use the author's desk: passwords, sessions, and the sign-in throttle.

pub mod accounts;
pub mod device;
pub mod password;
pub mod session;
pub mod session_store;
pub mod throttle;

pub use session::{CurrentUser, TypedSession};

use anyhow::Context;

use crate::db::{self, users::User, DbPool};
use session::Timeouts;

/// The user signed in on `session`, if any. Costs a query only when the
/// request carried a live session.
pub async fn signed_in_user(pool: &DbPool, session: &TypedSession, timeouts: Timeouts) -> anyhow::Result<Option<User>> {
    match session.user_id(timeouts, chrono::Utc::now().timestamp()) {
        Some(id) => db::run(pool, move |conn| Ok(db::users::find(conn, id)?.filter(User::is_active)))
            .await
            .with_context(|| format!("loading the signed-in account {id}")),
        None => Ok(None),
    }
}
