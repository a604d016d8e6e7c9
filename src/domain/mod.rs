//! Values parsed once from what people type; trusted after.

mod comment_status;
mod commenter;

pub use comment_status::CommentStatus;
pub use commenter::{AuthorName, CommentBody, Email, WebsiteUrl, MAX_BODY_CHARS};
