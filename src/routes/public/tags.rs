use actix_web::{web, HttpResponse};
use serde::Serialize;
use tera::Context;

use crate::error::AppError;
use crate::state::{AppState, PageMeta};

/// `GET /tags/{tag}`: every article with the tag, newest first.
pub async fn show(state: web::Data<AppState>, tag: web::Path<String>) -> Result<HttpResponse, AppError> {
    let library = state.library();
    let articles = library.tagged(&tag).ok_or(AppError::NotFound)?;
    let meta = PageMeta::new(
        format!("Articles tagged “{tag}”"),
        format!("{} articles on {tag} from {}", articles.len(), state.settings.site.title),
        format!("/tags/{tag}"),
    )
    .collection(state.base_url());
    let mut context = Context::new();
    context.insert("tag", tag.as_str());
    context.insert("articles", &super::cards(&state, &articles).await?);
    state.page("tag.html", &meta, context)
}

#[derive(Serialize)]
struct TagCount<'a> {
    name: &'a str,
    count: usize,
}

/// `GET /tags`: every tag with its number of articles.
pub async fn index(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let library = state.library();
    let tags: Vec<TagCount> = library.tags().map(|(name, count)| TagCount { name, count }).collect();
    let meta = PageMeta::new("Topics", format!("Every topic on {}", state.settings.site.title), "/tags")
        .collection(state.base_url());
    let mut context = Context::new();
    context.insert("tags", &tags);
    state.page("tags.html", &meta, context)
}
