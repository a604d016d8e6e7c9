//! The pages readers see.

pub mod archive;
pub mod comments;
pub mod discovery;
pub mod feed;
pub mod home;
pub mod manage;
pub mod old_address;
pub mod page;
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
