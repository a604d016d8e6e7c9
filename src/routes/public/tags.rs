use actix_web::{web, HttpResponse};
use serde::Serialize;
use tera::Context;

use crate::error::AppError;
use crate::routes::pagination::{page_count, page_link, page_of, PageQuery, Pagination};
use crate::state::{AppState, PageMeta};

/// Articles on a page of a topic or of the archive.
pub const ARTICLES_PER_LIST_PAGE: usize = 50;

/// `GET /tags/{tag}?page=N`: the articles with the tag, newest first, 50 a page.
pub async fn show(
    state: web::Data<AppState>,
    tag: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let number = query.number()?;
    let library = state.library();
    let articles = library.tagged(&tag).ok_or(AppError::NotFound)?;
    let shown = page_of(&articles, number, ARTICLES_PER_LIST_PAGE).ok_or(AppError::NotFound)?;
    let path = format!("/tags/{tag}");
    let pagination =
        Pagination::new(number, page_count(articles.len(), ARTICLES_PER_LIST_PAGE), |n| page_link(&path, n));
    let title = match number {
        1 => format!("Articles tagged “{tag}”"),
        n => format!("Articles tagged “{tag}” — page {n}"),
    };
    let meta = PageMeta::new(
        title,
        format!("{} articles on {tag} from {}", articles.len(), state.settings.site.title),
        page_link(&path, number),
    )
    .collection(state.base_url());
    let mut context = Context::new();
    context.insert("tag", tag.as_str());
    context.insert("total", &articles.len());
    context.insert("articles", &super::cards(&state, shown).await?);
    context.insert("pagination", &pagination);
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
