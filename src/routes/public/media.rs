//! `GET /media/{hash}-{width}.{ext}`: a size of a stored picture. The
//! address changes whenever the picture does, so it is cached for a year.

use std::sync::Arc;

use actix_web::http::header::{self, EntityTag, IfNoneMatch};
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
    let etag = EntityTag::new_strong(format!("{}-{}.{}", address.hash, address.width, address.format.ext()));
    let revalidated = match <IfNoneMatch as header::Header>::parse(&request) {
        Ok(IfNoneMatch::Any) => false,
        Ok(IfNoneMatch::Items(tags)) => tags.iter().any(|tag| tag.weak_eq(&etag)),
        Err(_) => false,
    };
    let bytes = match state.hot_media.get(&address) {
        Some(bytes) => bytes,
        None => {
            let wanted = address.clone();
            let stored = db::run(&state.pool, move |conn| Ok(db::media::variant_bytes(conn, &wanted)?))
                .await
                .with_context(|| format!("reading the picture {}", address.path()))?;
            let bytes: Arc<[u8]> = stored.ok_or(AppError::NotFound)?.into();
            state.hot_media.put(address.clone(), bytes.clone());
            bytes
        }
    };
    let mut response = if revalidated { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    response
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header(header::ETag(etag));
    Ok(if revalidated {
        response.finish()
    } else {
        response.content_type(address.format.content_type()).body(web::Bytes::from_owner(bytes))
    })
}
