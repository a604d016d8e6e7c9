use actix_web::{web, HttpResponse};
use tera::Context;

use super::tags::ARTICLES_PER_LIST_PAGE;
use crate::content::archive;
use crate::error::AppError;
use crate::routes::pagination::{page_count, page_link, page_of, PageQuery, Pagination};
use crate::state::{AppState, PageMeta};

/// `GET /archive?page=N`: the articles by year and month, newest first, 50 a page.
pub async fn show(state: web::Data<AppState>, query: web::Query<PageQuery>) -> Result<HttpResponse, AppError> {
    let number = query.number()?;
    let library = state.library();
    let all = library.articles();
    let shown = page_of(all, number, ARTICLES_PER_LIST_PAGE).ok_or(AppError::NotFound)?;
    let pagination =
        Pagination::new(number, page_count(all.len(), ARTICLES_PER_LIST_PAGE), |n| page_link("/archive", n));
    let title = match number {
        1 => "Archive".to_owned(),
        n => format!("Archive — page {n}"),
    };
    let meta = PageMeta::new(
        title,
        format!("All {} articles on {}, by date", all.len(), state.settings.site.title),
        page_link("/archive", number),
    )
    .collection(state.base_url());
    let mut context = Context::new();
    context.insert("years", &archive(shown));
    context.insert("total", &all.len());
    context.insert("pagination", &pagination);
    state.page("archive.html", &meta, context)
}
