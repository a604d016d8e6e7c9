//! Email: the outbox that events write to in their own transaction, the
//! addresses that asked for notices, the notices each event causes, and the
//! sender that delivers them (over SMTP, or into `.eml` files when no mail
//! server is configured).

pub mod compose;
pub mod links;
pub mod notices;
pub mod sender;

/// The outbox and the subscribers are tables: their queries live in `db`.
pub use crate::db::{outbox, subscribers};
