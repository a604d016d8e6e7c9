use actix_web::{web, HttpResponse};
use tera::Context;

use crate::error::AppError;
use crate::state::{AppState, PageMeta};

/// `GET /archive`: every article by year and month.
pub async fn show(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let library = state.library();
    let meta = PageMeta::new(
        "Archive",
        format!("All {} articles on {}, by date", library.articles().len(), state.settings.site.title),
        "/archive",
    )
    .collection(state.base_url());
    let mut context = Context::new();
    context.insert("years", &library.archive());
    context.insert("total", &library.articles().len());
    state.page("archive.html", &meta, context)
}
