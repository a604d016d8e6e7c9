use actix_web::{web, HttpResponse};
use serde::Deserialize;
use tera::Context;

use crate::content::Query;
use crate::error::AppError;
use crate::state::{AppState, PageMeta};

/// Longer queries are cut to this many characters.
const MAX_QUERY_CHARS: usize = 200;

#[derive(Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    q: String,
}

/// `GET /search?q=`: articles containing every word, best first.
pub async fn search(state: web::Data<AppState>, params: web::Query<SearchParams>) -> Result<HttpResponse, AppError> {
    let text: String = params.q.trim().chars().take(MAX_QUERY_CHARS).collect();
    let query = Query::parse(&text);
    let library = state.library();
    let results = library.search(&query);

    let title = if text.is_empty() { "Search".to_owned() } else { format!("Search: {text}") };
    let meta = PageMeta {
        noindex: true,
        ..PageMeta::new(title, format!("Search the articles on {}", state.settings.site.title), "/search")
    };
    let mut context = Context::new();
    context.insert("query", &text);
    context.insert("searched", &!query.is_empty());
    context.insert("results", &results);
    state.page("search.html", &meta, context)
}
