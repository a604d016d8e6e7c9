//! The files under `static/`, from memory, with a one-year cache: their URLs
//! carry a hash of their contents, which is also their ETag.

use actix_web::http::header::{self, EntityTag, IfNoneMatch};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::error::AppError;
use crate::state::AppState;

/// `GET /static/{path}`.
pub async fn serve(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let files = &state.static_files;
    let file = files.get(path.as_str()).ok_or(AppError::NotFound)?;
    let etag = EntityTag::new_strong(files.version().to_owned());
    let cached = match <IfNoneMatch as header::Header>::parse(&request) {
        Ok(IfNoneMatch::Any) => true,
        Ok(IfNoneMatch::Items(tags)) => tags.iter().any(|tag| tag.weak_eq(&etag)),
        Err(_) => false,
    };
    let mut response = if cached { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    response
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header(header::ETag(etag));
    Ok(if cached { response.finish() } else { response.content_type(file.content_type()).body(file.body()) })
}
