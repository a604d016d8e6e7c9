use actix_web::{web, HttpResponse};
use serde::Deserialize;
use tera::Context;

use crate::content::Query;
use crate::error::AppError;
use crate::routes::encode_query_value;
use crate::routes::pagination::{page_count, page_link, PageQuery, Pagination};
use crate::state::{AppState, PageMeta};

/// Longer queries are cut to this many characters.
const MAX_QUERY_CHARS: usize = 200;

/// Results on a page of search results.
pub const RESULTS_PER_PAGE: usize = 20;

#[derive(Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    q: String,
    #[serde(flatten)]
    page: PageQuery,
}

/// `GET /search?q=&page=N`: articles containing every word, best first, 20 a page.
pub async fn search(state: web::Data<AppState>, params: web::Query<SearchParams>) -> Result<HttpResponse, AppError> {
    let number = params.page.number()?;
    let text: String = params.q.trim().chars().take(MAX_QUERY_CHARS).collect();
    let query = Query::parse(&text);
    let library = state.library();
    let skip = (number - 1).saturating_mul(RESULTS_PER_PAGE);
    let (results, total) = library.search(&query, skip, RESULTS_PER_PAGE);
    if number > page_count(total, RESULTS_PER_PAGE) {
        return Err(AppError::NotFound);
    }
    let path = if text.is_empty() { "/search".to_owned() } else { format!("/search?q={}", encode_query_value(&text)) };
    let pagination = Pagination::new(number, page_count(total, RESULTS_PER_PAGE), |n| page_link(&path, n))
        .labelled("Better matches", "More results");

    let title = match (text.is_empty(), number) {
        (true, _) => "Search".to_owned(),
        (false, 1) => format!("Search: {text}"),
        (false, n) => format!("Search: {text} — page {n}"),
    };
    let meta = PageMeta {
        noindex: true,
        ..PageMeta::new(
            title,
            format!("Search the articles on {}", state.settings.site.title),
            page_link(&path, number),
        )
    };
    let mut context = Context::new();
    context.insert("query", &text);
    context.insert("searched", &!query.is_empty());
    context.insert("results", &results);
    context.insert("total", &total);
    context.insert("first", &(skip + 1));
    context.insert("pagination", &pagination);
    state.page("search.html", &meta, context)
}
