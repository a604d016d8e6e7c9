//! Readers' comments: the one road into the database (`submit`), the rules
//! the author sets, the moderation decision, threads, and the cookie that
//! lets a commenter see their own pending words.

pub mod discussion;
pub mod moderation;
pub mod outlines;
pub mod ownership;
pub mod pages;
pub mod policy;
pub mod private;
pub mod remembered;
pub mod retention;
pub mod rules;
pub mod submit;
pub mod tally;
pub mod thread;
pub mod visitor;

pub use discussion::{comments_open, Discussion};
pub use submit::{store_comment, submit, Refusal, Stored, Submission, SubmitError, Writer};
