//! Rendered public pages, kept in memory and served without a database
//! query or a template render until something changes.
//!
//! What is cached: `GET`/`HEAD` of the home page, articles, pages, tags, the
//! archive, the feeds, the sitemap and robots.txt, for readers who are not
//! signed in, have no comment of their own awaiting moderation and did not
//! save their details for the comment form (those requests are rendered for
//! them, as before). The only per-visitor part of
//! a cached page, the comment form's token, is rendered as a placeholder
//! and filled in for each request, with the visitor cookie it belongs to.
//!
//! When it is emptied: after any `POST` this instance answers (a comment,
//! a moderation, a setting…), and whenever the database's `pages` counter
//! moves: every write to comments or settings bumps it in its own
//! transaction, so a change made through another instance or the command
//! line empties this cache within a second (see `startup.rs`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use actix_web::body::{self, BoxBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use crate::comments::remembered::RememberedCommenter;
use crate::comments::visitor::{FormPurpose, Visitor};
use crate::keys::hex;
use crate::state::AppState;

/// Stands in a cached page where each visitor's form token goes. Random
/// per process, so that no text on a page can contain it by chance or on
/// purpose.
pub struct TokenPlaceholder(String);

/// Marks a request whose page is rendered for the cache: the handler puts
/// the placeholder where the form token goes and sets no cookie.
#[derive(Clone, Copy)]
pub struct RenderForCache;

/// Pages held at most; beyond, the cache is emptied and refilled.
const MAX_ENTRIES: usize = 2_000;
/// Bodies larger than this are served, not kept.
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

pub struct PageCache {
    generation: AtomicU64,
    entries: RwLock<HashMap<String, Arc<Entry>>>,
    placeholder: TokenPlaceholder,
}

struct Entry {
    generation: u64,
    content_type: header::HeaderValue,
    /// The page, split where the form token goes (one part when it has none).
    parts: Vec<web::Bytes>,
    /// A page without a token, gzipped once for every reader who accepts it.
    gzipped: Option<web::Bytes>,
    etag: String,
}

impl Default for PageCache {
    fn default() -> Self {
        Self::new()
    }
}

impl PageCache {
    pub fn new() -> Self {
        use rand::RngCore;
        let mut nonce = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut nonce);
        Self {
            generation: AtomicU64::new(0),
            entries: RwLock::new(HashMap::new()),
            placeholder: TokenPlaceholder(format!("hb-form-token-{}", hex(&nonce))),
        }
    }

    /// What a handler renders instead of a form token for the cache.
    pub fn placeholder(&self) -> &str {
        &self.placeholder.0
    }

    /// Forgets every page: something they show has changed.
    pub fn clear(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        match self.entries.write() {
            Ok(mut entries) => entries.clear(),
            Err(poisoned) => poisoned.into_inner().clear(),
        }
    }

    fn get(&self, key: &str) -> Option<Arc<Entry>> {
        let entries = self.entries.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = entries.get(key)?;
        (entry.generation == self.generation.load(Ordering::SeqCst)).then(|| Arc::clone(entry))
    }

    fn insert(&self, key: String, entry: Entry) -> Arc<Entry> {
        let entry = Arc::new(entry);
        // A page rendered before a change is served once but never kept.
        if entry.generation == self.generation.load(Ordering::SeqCst) {
            let mut entries = self.entries.write().unwrap_or_else(|poisoned| poisoned.into_inner());
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(key, Arc::clone(&entry));
        }
        entry
    }
}

/// The cache key of a request whose page may be cached: its path, and the
/// page number of a list. Anything else in the query string is not cached.
fn cache_key(request: &ServiceRequest) -> Option<String> {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return None;
    }
    let path = request.path();
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
        query
            if query.strip_prefix("page=").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) =>
        {
            Some(format!("{path}?{query}"))
        }
        _ => None,
    }
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

/// The middleware: answers from the cache, or renders, keeps and answers.
pub async fn serve(request: ServiceRequest, next: Next<BoxBody>) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = request.app_data::<web::Data<AppState>>().cloned() else { return next.call(request).await };
    let Some(key) = cache_key(&request) else {
        let changes = !matches!(*request.method(), Method::GET | Method::HEAD);
        let response = next.call(request).await;
        if changes {
            // Whatever it changed, no page shows the old state any more.
            state.page_cache.clear();
        }
        return response;
    };
    // The visitor cookie is opened once per request, here.
    let visitor = Visitor::existing(request.request(), &state.keys);
    if personal(request.request(), visitor.as_ref()) {
        return next.call(request).await;
    }
    if let Some(entry) = state.page_cache.get(&key) {
        let response = respond(&state, request.request(), visitor, &entry);
        return Ok(request.into_response(response));
    }
    let generation = state.page_cache.generation.load(Ordering::SeqCst);
    request.extensions_mut().insert(RenderForCache);
    let response = next.call(request).await?;
    if response.status() != StatusCode::OK || response.response().head().headers.contains_key(header::SET_COOKIE) {
        return Ok(response);
    }
    let Some(content_type) = response.headers().get(header::CONTENT_TYPE).cloned() else { return Ok(response) };
    let (request, response) = response.into_parts();
    let (head, body) = response.into_parts();
    let bytes = match body::to_bytes_limited(body, MAX_BODY_BYTES).await {
        Ok(Ok(bytes)) => bytes,
        // Too large to keep, or unreadable: render it afresh for this reader.
        _ => {
            let retry = HttpResponse::build(head.status()).insert_header((header::CONTENT_TYPE, content_type)).finish();
            return Ok(ServiceResponse::new(request, retry.map_into_boxed_body()));
        }
    };
    let placeholder = state.page_cache.placeholder().as_bytes();
    let parts = split(&bytes, placeholder);
    let etag = format!("\"{}\"", hex(&Sha256::digest(&bytes)[..12]));
    let gzipped = if parts.len() == 1 { gzip(&bytes) } else { None };
    let entry = state.page_cache.insert(key, Entry { generation, content_type, parts, gzipped, etag });
    let response = respond(&state, &request, visitor, &entry);
    Ok(ServiceResponse::new(request, response))
}

fn gzip(bytes: &[u8]) -> Option<web::Bytes> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 4), flate2::Compression::best());
    encoder.write_all(bytes).ok()?;
    encoder.finish().ok().map(web::Bytes::from)
}

fn accepts_gzip(request: &HttpRequest) -> bool {
    request.headers().get_all(header::ACCEPT_ENCODING).filter_map(|v| v.to_str().ok()).any(|value| {
        value.split(',').any(|coding| {
            let mut fields = coding.split(';');
            let name = fields.next().unwrap_or("").trim();
            let refused = fields.any(|param| matches!(param.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
            name.eq_ignore_ascii_case("gzip") && !refused
        })
    })
}

/// The page's bytes cut around every placeholder.
fn split(bytes: &web::Bytes, placeholder: &[u8]) -> Vec<web::Bytes> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut at = 0;
    while let Some(found) = bytes[at..].windows(placeholder.len()).position(|window| window == placeholder) {
        parts.push(bytes.slice(start..at + found));
        start = at + found + placeholder.len();
        at = start;
    }
    parts.push(bytes.slice(start..));
    parts
}

/// A cached page for this reader: their form token and cookie filled in,
/// or 304 when they already hold this version.
fn respond(state: &AppState, request: &HttpRequest, visitor: Option<Visitor>, entry: &Entry) -> HttpResponse<BoxBody> {
    let personal_parts = entry.parts.len() > 1;
    let cache_control = if personal_parts { "private, no-cache" } else { "no-cache" };
    let matches = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == entry.etag || tag.trim() == "*"));
    if matches {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, entry.etag.clone()))
            .insert_header((header::CACHE_CONTROL, cache_control))
            .finish();
    }
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::CONTENT_TYPE, entry.content_type.clone()))
        .insert_header((header::ETAG, entry.etag.clone()))
        .insert_header((header::CACHE_CONTROL, cache_control));
    if !personal_parts {
        response.insert_header((header::VARY, "Accept-Encoding"));
        if let Some(gzipped) = entry.gzipped.as_ref().filter(|_| accepts_gzip(request)) {
            // Compressed once, when the page was kept; the compression
            // middleware leaves a response that has its encoding alone.
            return response.insert_header((header::CONTENT_ENCODING, "gzip")).body(gzipped.clone());
        }
        return response.body(entry.parts[0].clone());
    }
    let visitor = visitor.unwrap_or_else(Visitor::first_visit);
    let token = visitor.form_token(&state.keys, FormPurpose::Comment, chrono::Utc::now().timestamp());
    if let Some(cookie) = visitor.cookie(&state.keys, state.settings.is_https()) {
        response.cookie(cookie);
    }
    let size = entry.parts.iter().map(web::Bytes::len).sum::<usize>() + token.len() * (entry.parts.len() - 1);
    let mut page = web::BytesMut::with_capacity(size);
    for (n, part) in entry.parts.iter().enumerate() {
        if n > 0 {
            page.extend_from_slice(token.as_bytes());
        }
        page.extend_from_slice(part);
    }
    response.body(page.freeze())
}

/// `true` when a handler renders for the cache (see `RenderForCache`).
pub fn rendering_for_cache(request: &HttpRequest) -> bool {
    request.extensions().get::<RenderForCache>().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_cut_around_each_placeholder() {
        let page = web::Bytes::from_static(b"<p>a</p>TOKEN<p>b</p>TOKEN");
        let parts = split(&page, b"TOKEN");
        assert_eq!(
            parts,
            vec![web::Bytes::from_static(b"<p>a</p>"), web::Bytes::from_static(b"<p>b</p>"), web::Bytes::new()]
        );
        assert_eq!(split(&web::Bytes::from_static(b"none"), b"TOKEN").len(), 1);
    }

    #[test]
    fn a_page_rendered_before_a_change_is_not_kept() {
        let cache = PageCache::new();
        let entry = |generation| Entry {
            generation,
            content_type: header::HeaderValue::from_static("text/html"),
            parts: vec![web::Bytes::from_static(b"x")],
            gzipped: None,
            etag: "\"x\"".into(),
        };
        cache.insert("/".into(), entry(0));
        assert!(cache.get("/").is_some());
        cache.clear();
        assert!(cache.get("/").is_none(), "a change empties the cache");
        cache.insert("/".into(), entry(0));
        assert!(cache.get("/").is_none(), "a page from before the change is not kept");
    }
}
