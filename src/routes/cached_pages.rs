//! The page cache in front of the public pages (see `page_cache` for the
//! store itself).
//!
//! What is cached: `GET`/`HEAD` of the home page, articles, pages, tags, the
//! archive, the feeds, the sitemap and robots.txt, for readers who are not
//! signed in, have no comment of their own awaiting moderation and did not
//! save their details for the comment form (those requests are rendered for
//! them, as before). A cached page's comment form
//! gets each reader's own token, with the visitor cookie it belongs to.

use std::sync::Arc;

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse, HttpResponseBuilder};

use crate::comments::remembered::RememberedCommenter;
use crate::comments::visitor::{FormPurpose, Visitor};
use crate::page_cache::{self, RenderForCache};
use crate::routes::security_headers;
use crate::state::AppState;

/// Marks a `POST` that changed nothing a shared page shows (a comment held
/// for moderation, a refused one): this instance keeps its pages. Any other
/// `POST` empties the cache when it is answered.
#[derive(Clone, Copy)]
pub struct SharedPagesUnchanged;

/// Says that `request`, so far, changes no shared page.
pub fn leaves_shared_pages(request: &HttpRequest) {
    request.extensions_mut().insert(SharedPagesUnchanged);
}

/// Says that `request` did change what shared pages show after all.
pub fn changed_shared_pages(request: &HttpRequest) {
    request.extensions_mut().remove::<SharedPagesUnchanged>();
}

/// The cache key of a request whose page may be cached: its path, and the
/// number of a later page of a list, written as the list's own links write
/// it (past the last page, the list answers 404, which is not kept). Anything else in the query string — a page
/// number on an address that is not a list, another spelling of a number —
/// is rendered for that request and not kept, so that made-up addresses
/// cannot fill the cache.
fn cache_key(request: &ServiceRequest) -> Option<String> {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return None;
    }
    let path = request.path();
    if path.contains("//") || (path.len() > 1 && path.ends_with('/')) {
        return None; // Not yet normalized (see `NormalizePath` in `startup.rs`).
    }
    let cacheable = path == "/"
        || path.starts_with("/posts/")
        || path.starts_with("/tags")
        || path == "/archive"
        || path == "/feed.xml"
        || path == "/sitemap.xml"
        || path == "/robots.txt"
        || is_page_path(path);
    if !cacheable {
        return None;
    }
    match request.query_string() {
        "" => Some(path.to_owned()),
        query if is_list_path(path) => match query.strip_prefix("page=")?.parse::<u32>() {
            Ok(number) if number > 1 && query == format!("page={number}") => Some(format!("{path}?{query}")),
            _ => None,
        },
        _ => None,
    }
}

/// The lists that go page by page with `?page=N`: home, a topic, the archive.
fn is_list_path(path: &str) -> bool {
    path == "/" || path == "/archive" || path.strip_prefix("/tags/").is_some_and(|tag| !tag.contains('/'))
}

/// `/about` and the like: one segment, not a reserved prefix.
fn is_page_path(path: &str) -> bool {
    let rest = &path[1..];
    !rest.is_empty()
        && !rest.contains('/')
        && !["admin", "static", "search", "healthz", "comments", "mail", "manifest"].iter().any(|p| rest.starts_with(p))
}

/// Whether this reader must get a page rendered for them: signed in (the
/// desk's controls), with a comment of their own awaiting moderation, or
/// with their details saved for the comment form.
fn personal(request: &HttpRequest, visitor: Option<&Visitor>) -> bool {
    request.cookie("hb_session").is_some()
        || visitor.is_some_and(|visitor| !visitor.pending().is_empty())
        || RememberedCommenter::sent_with(request)
}

/// The outer middleware, in front of everything but the request log: a
/// page this reader may have from the cache, or a picture's size kept in
/// memory, is answered at once; every
/// other request goes on through the session, error and compression layers
/// (and `serve`, which renders and keeps pages).
pub async fn answer_from_cache(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = request.app_data::<web::Data<AppState>>();
    if let Some(mut response) = state.and_then(|state| crate::routes::media::from_memory(state, request.request())) {
        security_headers::add_to(response.headers_mut());
        return Ok(request.into_response(response));
    }
    if let Some((state, key)) = state.zip(cache_key(&request)) {
        if let Lookup::Hit(mut response) = look_up(state, request.request(), &key) {
            security_headers::add_to(response.headers_mut());
            return Ok(request.into_response(response));
        }
    }
    Ok(next.call(request).await?.map_into_boxed_body())
}

/// What the cache has for one reader's request of a cacheable page.
enum Lookup {
    /// The reader gets pages rendered for them (see `personal`).
    Personal,
    /// The page, with this reader's form token in it.
    Hit(HttpResponse<BoxBody>),
    /// Not kept yet: rendered, then kept; the visitor, if their cookie came.
    Miss(Option<Visitor>),
}

fn look_up(state: &AppState, request: &HttpRequest, key: &str) -> Lookup {
    let visitor = Visitor::existing(request, &state.keys);
    if personal(request, visitor.as_ref()) {
        return Lookup::Personal;
    }
    match state.page_cache.get(key) {
        Some(entry) => Lookup::Hit(entry.respond(request, |response| form_token(state, visitor, response))),
        None => Lookup::Miss(visitor),
    }
}

/// The inner middleware, after the path is normalized: answers from the
/// cache, or renders, keeps and answers.
pub async fn serve(request: ServiceRequest, next: Next<BoxBody>) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = request.app_data::<web::Data<AppState>>().cloned() else { return next.call(request).await };
    let Some(key) = cache_key(&request) else {
        let changes = !matches!(*request.method(), Method::GET | Method::HEAD);
        if !changes && !request.path().starts_with("/static/") {
            let personal = personal(request.request(), Visitor::existing(request.request(), &state.keys).as_ref());
            let response = next.call(request).await?;
            return Ok(if personal { kept_by_nobody(response) } else { response });
        }
        let response = next.call(request).await;
        let unchanged = response.as_ref().is_ok_and(|r| r.request().extensions().contains::<SharedPagesUnchanged>());
        if changes && !unchanged {
            // Whatever it changed, no page shows the old state any more.
            state.page_cache.clear();
        }
        return response;
    };
    // Looked up again after `answer_from_cache`: only a page not yet kept, a
    // personal one, or an address that needed normalizing comes this far.
    let visitor = match look_up(&state, request.request(), &key) {
        Lookup::Personal => return Ok(kept_by_nobody(next.call(request).await?)),
        Lookup::Hit(response) => return Ok(request.into_response(response)),
        Lookup::Miss(visitor) => visitor,
    };
    let generation = state.page_cache.generation();
    request.extensions_mut().insert(RenderForCache);
    let response = next.call(request).await?;
    if response.status() != StatusCode::OK || response.response().head().headers.contains_key(header::SET_COOKIE) {
        return Ok(response);
    }
    let Some(content_type) = response.headers().get(header::CONTENT_TYPE).cloned() else { return Ok(response) };
    let (request, response) = response.into_parts();
    let (head, body) = response.into_parts();
    let bytes = body::to_bytes(body).await.map_err(|error| {
        tracing::error!(error = %error, "reading a rendered page");
        actix_web::error::ErrorInternalServerError("the page could not be rendered")
    })?;
    if bytes.len() > page_cache::MAX_BODY_BYTES {
        // Too large to keep: served as rendered.
        let whole = HttpResponse::build(head.status()).insert_header((header::CONTENT_TYPE, content_type)).body(bytes);
        return Ok(ServiceResponse::new(request, whole));
    }
    let (entry, kept) = state.page_cache.keep(key, generation, content_type, &bytes);
    if kept && entry.wants_brotli() {
        let entry = Arc::clone(&entry);
        actix_web::rt::task::spawn_blocking(move || entry.compress_with_brotli());
    }
    let response = entry.respond(&request, |response| form_token(&state, visitor, response));
    Ok(ServiceResponse::new(request, response))
}

/// A page made for one person (the signed-in author's, a reader's with
/// their pending comment or saved details) is stored by no cache, not even
/// the browser's: it may show what nobody else at that computer should see.
/// Files that are the same for everyone keep their own caching.
fn kept_by_nobody(mut response: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let public = response
        .headers()
        .get(header::CACHE_CONTROL)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("public"));
    if !public {
        response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("private, no-store"));
    }
    response
}

/// This reader's token for the comment form, with the visitor cookie it is
/// tied to set on `response` when the reader has none yet.
fn form_token(state: &AppState, visitor: Option<Visitor>, response: &mut HttpResponseBuilder) -> String {
    let visitor = visitor.unwrap_or_else(Visitor::first_visit);
    if let Some(cookie) = visitor.cookie(&state.keys, state.settings.is_https()) {
        response.cookie(cookie);
    }
    visitor.form_token(&state.keys, FormPurpose::Comment, chrono::Utc::now().timestamp())
}
