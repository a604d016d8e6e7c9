//! `GET /media/{hash}-{width}.{ext}`: a size of a stored picture. The
//! address changes whenever the picture does, so it is cached for a year.

use actix_web::http::header::{self, EntityTag, IfNoneMatch};
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use anyhow::Context as _;

use crate::db;
use crate::error::AppError;
use crate::media::Address;
use crate::state::AppState;

pub async fn serve(
    state: web::Data<AppState>,
    request: HttpRequest,
    file: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let address = Address::parse(&file).ok_or(AppError::NotFound)?;
    let bytes = match state.hot_media.get(&address) {
        Some(bytes) => bytes,
        None => {
            let wanted = address.clone();
            let stored = db::run(&state.pool, move |conn| Ok(db::media::variant_bytes(conn, &wanted)?))
                .await
                .with_context(|| format!("reading the picture {}", address.path()))?;
            let bytes = web::Bytes::from(stored.ok_or(AppError::NotFound)?);
            state.hot_media.put(address.clone(), bytes.clone());
            bytes
        }
    };
    Ok(respond(&request, &address, bytes))
}

/// A size of a picture kept in memory, answered in front of the session,
/// error and compression layers it does not need (by
/// `cached_pages::answer_from_cache`, as a kept page is); `None` for any
/// other request.
pub fn from_memory(state: &AppState, request: &HttpRequest) -> Option<HttpResponse> {
    if request.method() != Method::GET {
        return None;
    }
    let address = Address::parse(request.path().strip_prefix("/media/")?)?;
    let bytes = state.hot_media.get(&address)?;
    Some(respond(request, &address, bytes))
}

fn respond(request: &HttpRequest, address: &Address, bytes: web::Bytes) -> HttpResponse {
    let etag = EntityTag::new_strong(format!("{}-{}.{}", address.hash, address.width, address.format.ext()));
    let revalidated = match <IfNoneMatch as header::Header>::parse(request) {
        Ok(IfNoneMatch::Any) => false,
        Ok(IfNoneMatch::Items(tags)) => tags.iter().any(|tag| tag.weak_eq(&etag)),
        Err(_) => false,
    };
    let mut response = if revalidated { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    response
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header(header::ETag(etag));
    if revalidated {
        response.finish()
    } else {
        response.content_type(address.format.content_type()).body(bytes)
    }
}
