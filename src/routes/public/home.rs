use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use tera::Context;

use super::cards;
use crate::error::AppError;
use crate::routes::pagination::Pagination;
use crate::state::{AppState, PageMeta};

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<String>,
}

/// `GET /?page=N`: the newest articles, a page at a time.
pub async fn home(
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, AppError> {
    // `/?p=12` and its kin were addresses of the WordPress site this replaced.
    let query_string = req.query_string();
    if ["p=", "page_id=", "replytocom=", "s="].iter().any(|key| query_string.contains(key)) {
        if let Some(target) = super::old_address::find(&state, &req).await? {
            return Ok(super::old_address::moved_permanently(&target));
        }
    }
    let number = match query.page.as_deref() {
        None => 1,
        Some(text) => text.parse::<usize>().ok().filter(|n| *n >= 1).ok_or(AppError::NotFound)?,
    };
    let library = state.library();
    let per_page = state.settings.site.posts_per_page;
    let articles: Vec<_> = library.page(number, per_page).ok_or(AppError::NotFound)?.iter().collect();
    let pagination = Pagination::new(number, library.page_count(per_page), |n| {
        if n == 1 {
            "/".to_owned()
        } else {
            format!("/?page={n}")
        }
    });

    let site = &state.settings.site;
    let (title, path) = if number == 1 {
        (site.title.clone(), "/".to_owned())
    } else {
        (format!("{} — page {number}", site.title), format!("/?page={number}"))
    };
    let meta = PageMeta::new(title, site.description.clone(), path).with_json_ld(&serde_json::json!({
        "@context": "https://schema.org",
        "@type": "Blog",
        "name": site.title,
        "description": site.description,
        "url": format!("{}/", state.base_url()),
        "author": { "@type": "Person", "name": site.author_name, "jobTitle": site.author_credentials },
    }));

    let mut context = Context::new();
    context.insert("articles", &cards(&state, &articles).await?);
    context.insert("pagination", &pagination);
    state.page("home.html", &meta, context)
}
