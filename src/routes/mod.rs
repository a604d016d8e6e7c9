//! Request handlers. `startup.rs` is the one place they are mounted.

pub mod admin;
pub mod body_deadline;
pub mod cached_pages;
pub mod error_pages;
pub mod health;
pub mod mail_links;
pub mod media;
pub mod multipart;
pub mod notice;
pub mod pagination;
pub mod public;
pub mod security_headers;
pub mod static_files;

use std::future::Future;
use std::pin::Pin;

use actix_multipart::Multipart;
use actix_web::dev::Payload;
use actix_web::{guard, web, FromRequest, HttpMessage, HttpRequest};
use serde::de::DeserializeOwned;

use crate::routes::multipart::{Parts, Unreadable};
use crate::state::AppState;

/// A route for GET, and HEAD (which link checkers and uptime monitors use).
pub fn page() -> actix_web::Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// The site's state, for an extractor (a handler takes `web::Data<AppState>`).
pub(crate) fn app_state(request: &HttpRequest) -> Result<&web::Data<AppState>, actix_web::Error> {
    request.app_data::<web::Data<AppState>>().ok_or_else(|| actix_web::error::ErrorInternalServerError("no state"))
}

/// What an extractor built on a form gives back, later.
pub(crate) type FormFuture<R> = Pin<Box<dyn Future<Output = Result<R, actix_web::Error>>>>;

/// An extractor's work on a form: reads the form `T` of the request, then
/// `judge` makes of it, with the request, what the handler gets.
pub(crate) fn judge_form<T, R>(
    request: &HttpRequest,
    payload: &mut Payload,
    judge: impl FnOnce(&HttpRequest, T) -> Result<R, actix_web::Error> + 'static,
) -> FormFuture<R>
where
    T: DeserializeOwned + 'static,
{
    let form = web::Form::<T>::from_request(request, payload);
    let request = request.clone();
    Box::pin(async move { judge(&request, form.await?.into_inner()) })
}

/// Fields a form sent as `multipart/form-data` to `judge_any_form` may carry.
const MAX_MULTIPART_FIELDS: usize = 16;
/// The most one of them may hold: the forms read so are small (a form
/// token, a button's value).
const MAX_MULTIPART_FIELD_BYTES: usize = 4 * 1024;

/// As `judge_form`, for a form that may also come as `multipart/form-data`
/// (which RFC 8058 asks mail clients to use for their one-click POST). Its
/// fields are judged exactly as the same fields sent urlencoded would be;
/// a body that cannot be read is answered 400, one too large 413.
pub(crate) fn judge_any_form<T, R>(
    request: &HttpRequest,
    payload: &mut Payload,
    judge: impl FnOnce(&HttpRequest, T) -> Result<R, actix_web::Error> + 'static,
) -> FormFuture<R>
where
    T: DeserializeOwned + 'static,
{
    if !request.content_type().eq_ignore_ascii_case("multipart/form-data") {
        return judge_form(request, payload, judge);
    }
    let form = Multipart::new(request.headers(), payload.take());
    let request = request.clone();
    Box::pin(async move {
        let fields = urlencoded(form).await?;
        let form = web::Query::<T>::from_query(&fields)
            .map_err(|e| actix_web::error::ErrorBadRequest(format!("the form's fields do not fit: {e}")))?;
        judge(&request, form.into_inner())
    })
}

/// A multipart form's fields, urlencoded (`name=value&…`).
async fn urlencoded(form: Multipart) -> Result<String, actix_web::Error> {
    let mut parts = Parts::new(form, MAX_MULTIPART_FIELDS, |_| MAX_MULTIPART_FIELD_BYTES);
    let mut fields = Vec::new();
    while let Some(part) = parts.next_part().await {
        let part = part.map_err(|unreadable| match unreadable {
            Unreadable::Broken(e) => actix_web::error::ErrorBadRequest(format!("the form cannot be read: {e}")),
            Unreadable::TooManyFields => actix_web::error::ErrorBadRequest("the form has too many fields"),
            Unreadable::TooLong { name, .. } => {
                actix_web::error::ErrorPayloadTooLarge(format!("the form's field {name} is too long"))
            }
        })?;
        let value = String::from_utf8_lossy(&part.bytes);
        fields.push(format!("{}={}", encode_query_value(&part.name), encode_query_value(&value)));
    }
    Ok(fields.join("&"))
}

/// Percent-encodes a query-string value.
pub fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_value_keeps_only_unreserved_characters() {
        assert_eq!(encode_query_value("/admin/comments?q=a b&page=2"), "%2Fadmin%2Fcomments%3Fq%3Da+b%26page%3D2");
        assert_eq!(encode_query_value("é"), "%C3%A9");
        assert_eq!(encode_query_value("A-z_0.9~"), "A-z_0.9~");
    }
}
