//! Who may use the author's desk: passwords, sessions, and the sign-in throttle.

pub mod password;
pub mod session;
pub mod session_store;
pub mod throttle;

pub use session::{CurrentUser, TypedSession};
