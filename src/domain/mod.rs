//! Values parsed once from what people type or the database holds; trusted after.

mod comment_kind;
mod comment_status;
mod commenter;
mod ids;
mod manuscript;
mod notice_choice;
mod role;
mod stored_text;

#[cfg(test)]
pub(crate) use stored_text::pin_stored_text;
pub(crate) use stored_text::text_enum;

pub use comment_kind::CommentKind;
pub use comment_status::CommentStatus;
pub use commenter::{AuthorName, CommentBody, Email, EmailKey, WebsiteUrl, MAX_BODY_CHARS};
pub use ids::{CommentId, UserId};
pub use manuscript::{ArticleKind, Manuscript};
pub use notice_choice::NoticeChoice;
pub use role::Role;
