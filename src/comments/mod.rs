//! Readers' comments: the rules the author sets, the moderation decision,
//! threads, and the cookie that lets a commenter see their own pending words.

pub mod moderation;
pub mod policy;
pub mod rules;
pub mod thread;
pub mod visitor;
