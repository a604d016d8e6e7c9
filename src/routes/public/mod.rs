//! The pages readers see.

pub mod archive;
pub mod comments;
pub mod discovery;
pub mod feed;
pub mod home;
pub mod post;
pub mod search;
pub mod tags;

use anyhow::Context as _;
use std::sync::Arc;

use serde::Serialize;

use crate::content::Article;
use crate::db;
use crate::error::AppError;
use crate::state::AppState;

/// An article in a list, with its approved-comment count.
#[derive(Serialize)]
pub struct Card<'a> {
    #[serde(flatten)]
    pub article: &'a Article,
    pub comment_count: i64,
}

/// Cards for `articles`, counting their comments in one query.
pub async fn cards<'a>(state: &AppState, articles: &[&'a Arc<Article>]) -> Result<Vec<Card<'a>>, AppError> {
    let slugs: Vec<String> = articles.iter().map(|a| a.slug.clone()).collect();
    let counts = db::run(&state.pool, move |conn| Ok(db::comments::approved_counts(conn, &slugs)?))
        .await
        .context("counting the comments of a list of articles")?;
    Ok(articles
        .iter()
        .map(|article| Card { article, comment_count: counts.get(&article.slug).copied().unwrap_or(0) })
        .collect())
}

/// Links to the pages before and after the current one.
#[derive(Debug, Serialize)]
pub struct Pagination {
    pub current: usize,
    pub total: usize,
    pub newer: Option<String>,
    pub older: Option<String>,
    /// What the links say.
    pub newer_label: &'static str,
    pub older_label: &'static str,
}

impl Pagination {
    /// `link(n)` makes the address of page `n`.
    pub fn new(current: usize, total: usize, link: impl Fn(usize) -> String) -> Self {
        Self {
            current,
            total,
            newer: (current > 1).then(|| link(current - 1)),
            older: (current < total).then(|| link(current + 1)),
            newer_label: "Newer articles",
            older_label: "Older articles",
        }
    }

    /// The same links for a list of something other than articles.
    pub fn labelled(mut self, newer: &'static str, older: &'static str) -> Self {
        (self.newer_label, self.older_label) = (newer, older);
        self
    }
}

/// Percent-encodes a query-string value.
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}
