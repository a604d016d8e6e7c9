//! What both benchmarks build their discussions from.

use chrono::NaiveDateTime;
use healthblog::db::comments::Comment;
use healthblog::domain::{CommentId, CommentStatus, UserId};
use healthblog::markdown;

pub const SLUG: &str = "iv-magnesium-post-concussion-syndrome";

/// The first comment's time; the `i`-th comes `i` minutes later.
pub fn start() -> NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2024, 1, 1).and_then(|d| d.and_hms_opt(8, 0, 0)).unwrap_or_default()
}

/// Approved comment number `i` under the sample article, saying `body`
/// (Markdown) in reply to `parent`; the author's (account 1) when `by_author`.
pub fn comment(i: i32, parent: Option<CommentId>, by_author: bool, body: &str) -> Comment {
    let when = start() + chrono::Duration::minutes(i64::from(i));
    let email = if by_author { String::new() } else { format!("reader{i}@example.org") };
    Comment {
        id: CommentId(i),
        post_slug: SLUG.into(),
        parent_id: parent,
        author_name: if by_author { "Dr. Jane Doe".into() } else { format!("Reader Number {i}") },
        author_email_key: healthblog::domain::EmailKey::of(&email),
        author_email: email,
        author_url: None,
        user_id: by_author.then_some(UserId(1)),
        body_markdown: body.into(),
        body_html: markdown::render_comment(body),
        status: CommentStatus::Approved,
        notify: false,
        no_answer_needed: false,
        ip_hash: String::new(),
        user_agent: String::new(),
        created_at: when,
        updated_at: when,
        edited_at: None,
        notify_replies: false,
        erased_at: None,
        urgent: None,
        consent_version: None,
        consent_at: None,
        consent_method: None,
        redacted_at: None,
        reviewed_at: None,
    }
}
