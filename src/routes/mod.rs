//! Request handlers. `startup.rs` is the one place they are mounted.

pub mod admin;
pub mod health;
pub mod public;
