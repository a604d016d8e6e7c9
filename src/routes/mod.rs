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

use actix_web::{guard, web, HttpRequest};

use crate::state::AppState;

/// A route for GET, and HEAD (which link checkers and uptime monitors use).
pub fn page() -> actix_web::Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// The site's state, for an extractor (a handler takes `web::Data<AppState>`).
pub(crate) fn app_state(request: &HttpRequest) -> Result<&web::Data<AppState>, actix_web::Error> {
    request.app_data::<web::Data<AppState>>().ok_or_else(|| actix_web::error::ErrorInternalServerError("no state"))
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
