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
pub mod private;
pub mod search;
pub mod tags;

use anyhow::Context as _;
use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;

use crate::comments::tally::Tally;
use crate::content::Article;
use crate::db::{self, comments::Placement};
use crate::error::AppError;
use crate::state::AppState;

/// An article in a list, with its published comments counted by kind.
#[derive(Serialize)]
pub struct Card<'a> {
    #[serde(flatten)]
    pub article: &'a Article,
    pub comment_count: Tally,
}

/// Cards for `articles`, counting their comments in one query.
pub async fn cards<'a>(state: &AppState, articles: &[&'a Arc<Article>]) -> Result<Vec<Card<'a>>, AppError> {
    let slugs: Vec<String> = articles.iter().map(|a| a.slug.clone()).collect();
    let rows = db::run(&state.pool, move |conn| Ok(db::comments::approved_placements(conn, &slugs)?))
        .await
        .context("counting the comments of a list of articles")?;
    let mut by_article: HashMap<String, Vec<Placement>> = HashMap::new();
    for (slug, placement) in rows {
        by_article.entry(slug).or_default().push(placement);
    }
    Ok(articles
        .iter()
        .map(|article| {
            let placements = by_article.get(&article.slug).map_or(&[][..], Vec::as_slice);
            Card { article, comment_count: Tally::of(placements) }
        })
        .collect())
}
