//! The site's error pages: every 4xx and 5xx answer is shown as a page of
//! the site, saying what went wrong in plain words.

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, ContentType};
use actix_web::http::StatusCode;
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{web, HttpMessage, HttpResponse};
use tera::Context;
use tracing_actix_web::RequestId;

use crate::error::public_message;
use crate::state::{AppState, PageMeta};

/// Replaces the plain-text body of any 4xx or 5xx response with the site's
/// error page, keeping the status and headers such as `Retry-After`. Pages
/// that are already HTML (a form shown again with its errors), or JSON for
/// a page's script (the editor's picture upload), pass through.
pub fn render<B: MessageBody + 'static>(response: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html") || v.starts_with("application/json"));
    let Some(state) = response.request().app_data::<web::Data<AppState>>().cloned() else {
        return Ok(ErrorHandlerResponse::Response(response.map_into_left_body()));
    };
    if is_html {
        return Ok(ErrorHandlerResponse::Response(response.map_into_left_body()));
    }
    let status = response.status();
    let public = public_message(response.response());
    // The request's id, in every log line about it: a reader can quote it.
    let reference = status
        .is_server_error()
        .then(|| response.request().extensions().get::<RequestId>().map(ToString::to_string))
        .flatten();
    let (title, message) = describe(status, public);

    let mut context = Context::new();
    context.insert("status", &status.as_u16());
    context.insert("heading", &title);
    context.insert("message", &message);
    context.insert("reference", &reference);
    let meta = PageMeta { noindex: true, ..PageMeta::new(title, "", response.request().path()) };
    let body = state
        .render("error.html", &meta, context)
        .unwrap_or_else(|_| format!("<!doctype html><title>{}</title><h1>{}</h1>", status.as_u16(), status.as_u16()));

    let (request, old) = response.into_parts();
    let mut new = HttpResponse::build(status).content_type(ContentType::html()).body(body);
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            new.headers_mut().append(name.clone(), value.clone());
        }
    }
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(request, new).map_into_right_body()))
}

fn describe(status: StatusCode, public: Option<String>) -> (String, String) {
    let (title, default) = match status {
        StatusCode::NOT_FOUND => {
            ("Page not found", "We could not find that page. It may have moved, or the address may be mistyped.")
        }
        StatusCode::FORBIDDEN => ("Not allowed", "You are not allowed to do that."),
        StatusCode::PAYLOAD_TOO_LARGE => {
            ("Too much text", "What you sent is larger than this site accepts. Please shorten it and try again.")
        }
        StatusCode::TOO_MANY_REQUESTS => {
            ("Slow down", "You are sending requests too quickly. Please wait a minute and try again.")
        }
        StatusCode::METHOD_NOT_ALLOWED => ("Not allowed", "That address does not accept this kind of request."),
        s if s.is_server_error() => (
            "Something went wrong",
            "Something went wrong on our side. The problem has been logged; please try again in a little while.",
        ),
        _ => ("Bad request", "The request could not be understood."),
    };
    let message = match public {
        Some(message) if !status.is_server_error() || status == StatusCode::SERVICE_UNAVAILABLE => message,
        _ => default.to_owned(),
    };
    (title.to_owned(), message)
}
