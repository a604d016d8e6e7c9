//! Request handlers. `startup.rs` is the one place they are mounted.

pub mod admin;
pub mod body_deadline;
pub mod cached_pages;
pub mod error_pages;
pub mod health;
pub mod mail_links;
pub mod media;
pub mod notice;
pub mod pagination;
pub mod public;
pub mod security_headers;
pub mod static_files;

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{guard, web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

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
