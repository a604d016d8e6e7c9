//! Rendered public pages, kept in memory and served without a database
//! query or a template render until something changes. Which requests are
//! served from here is decided by `routes::cached_pages`.
//!
//! The only per-visitor part of a cached page, the comment form's token, is
//! rendered as a placeholder and filled in for each request. Each page is compressed once, when it is kept: gzip for every page (with
//! room for the token, see `encoded.rs`) and brotli for pages without one;
//! each coding has its own `ETag`.
//!
//! When it is emptied: after any `POST` this instance answers (a comment,
//! a moderation, a setting…), and whenever the database's `pages` counter
//! moves: every write to comments or settings bumps it in its own
//! transaction, so a change made through another instance or the command
//! line empties this cache within a second (see `startup.rs`).

mod encoded;

use std::collections::{HashMap, VecDeque};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::task::{Context, Poll};

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::http::header;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse, HttpResponseBuilder};
use sha2::{Digest, Sha256};

use crate::keys::hex;
use encoded::{Coding, SplicedGzip};

/// Stands in a cached page where each visitor's form token goes. Random
/// per process, so that no text on a page can contain it by chance or on
/// purpose.
pub struct TokenPlaceholder(String);

/// Marks a request whose page is rendered for the cache: the handler puts
/// the placeholder where the form token goes and sets no cookie.
#[derive(Clone, Copy)]
pub struct RenderForCache;

/// Bodies larger than this are served, not kept.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
/// The memory kept pages may take when no budget is given (64 MiB).
const DEFAULT_BUDGET_BYTES: usize = 64 * 1024 * 1024;

pub struct PageCache {
    generation: AtomicU64,
    kept: RwLock<Kept>,
    /// The most bytes the kept pages may hold together.
    budget: usize,
    placeholder: TokenPlaceholder,
}

/// The kept pages, with the order they were kept in: when a new page would
/// take the cache past its budget, the oldest go first.
#[derive(Default)]
struct Kept {
    entries: HashMap<String, Arc<Entry>>,
    order: VecDeque<String>,
    bytes: usize,
}

impl Kept {
    fn clear(&mut self) {
        self.entries.clear();
        self.order.clear();
        self.bytes = 0;
    }

    fn insert(&mut self, key: String, entry: Arc<Entry>, budget: usize) {
        let size = entry.size();
        if let Some(old) = self.entries.remove(&key) {
            self.bytes -= old.size();
            self.order.retain(|kept| kept != &key);
        }
        while self.bytes + size > budget {
            let Some(oldest) = self.order.pop_front() else { break };
            if let Some(old) = self.entries.remove(&oldest) {
                self.bytes -= old.size();
            }
        }
        if self.bytes + size <= budget {
            self.bytes += size;
            self.order.push_back(key.clone());
            self.entries.insert(key, entry);
        }
    }
}

pub struct Entry {
    generation: u64,
    content_type: header::HeaderValue,
    /// The page, split where the form token goes (one part when it has none).
    parts: Vec<web::Bytes>,
    /// Its gzip, compressed once, with room for each reader's token.
    gzip: Option<SplicedGzip>,
    /// A page without a token compressed with brotli, filled in shortly
    /// after the page is kept (gzip is served until then).
    brotli: OnceLock<web::Bytes>,
    /// The `ETag` of each coding, in `Coding` order.
    etags: [header::HeaderValue; 3],
}

impl Entry {
    fn new(generation: u64, content_type: header::HeaderValue, bytes: &web::Bytes, placeholder: &[u8]) -> Self {
        let parts = split(bytes, placeholder);
        let hash = hex(&Sha256::digest(bytes)[..12]);
        let etag = |suffix: &str| {
            header::HeaderValue::from_str(&format!("\"{hash}{suffix}\""))
                .unwrap_or(header::HeaderValue::from_static("\"\""))
        };
        Self {
            generation,
            content_type,
            gzip: SplicedGzip::new(&parts).ok(),
            parts,
            brotli: OnceLock::new(),
            etags: [etag(""), etag("-gzip"), etag("-br")],
        }
    }

    /// The memory it takes, counting the brotli form it may get later as
    /// large as its gzip.
    fn size(&self) -> usize {
        let page: usize = self.parts.iter().map(web::Bytes::len).sum();
        let gzip = self.gzip.as_ref().map_or(0, SplicedGzip::bytes_held);
        page + 2 * gzip
    }

    /// Whether the page carries a comment form, whose token is each reader's own.
    pub fn has_form(&self) -> bool {
        self.parts.len() > 1
    }

    /// Whether it still waits for its brotli form (pages without a form only).
    pub fn wants_brotli(&self) -> bool {
        !self.has_form() && self.brotli.get().is_none()
    }

    /// Compresses the page with brotli: slow, so run it off the request path.
    pub fn compress_with_brotli(&self) {
        match encoded::brotli(&self.parts[0]) {
            Ok(compressed) => {
                let _ = self.brotli.set(compressed);
            }
            Err(error) => tracing::warn!(%error, "compressing a page with brotli"),
        }
    }

    /// The page for this reader, in the best coding they accept, or 304 when
    /// they already hold this version. For a page with a form, `form` sets
    /// the reader's cookie on the response if need be and returns their
    /// token.
    pub fn respond(
        &self,
        request: &HttpRequest,
        form: impl FnOnce(&mut HttpResponseBuilder) -> String,
    ) -> HttpResponse<BoxBody> {
        let brotli = self.brotli.get();
        let coding = match encoded::negotiate(request, brotli.is_some()) {
            Coding::Gzip if self.gzip.is_none() => Coding::Identity,
            coding => coding,
        };
        let etag = self.etag(coding);
        let cache_control = if self.has_form() { "private, no-cache" } else { "no-cache" };
        let matches = request.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|tags| {
            tags.split(',').any(|tag| tag.trim().as_bytes() == etag.as_bytes() || tag.trim() == "*")
        });
        if matches {
            return HttpResponse::NotModified()
                .insert_header((header::ETAG, etag.clone()))
                .insert_header((header::CACHE_CONTROL, cache_control))
                .insert_header((header::VARY, "Accept-Encoding"))
                .finish();
        }
        let mut response = HttpResponse::Ok();
        response
            .insert_header((header::CONTENT_TYPE, self.content_type.clone()))
            .insert_header((header::ETAG, etag.clone()))
            .insert_header((header::CACHE_CONTROL, cache_control))
            .insert_header((header::VARY, "Accept-Encoding"));
        // The compression middleware leaves a response that has its encoding alone.
        if let Some(name) = coding.name() {
            response.insert_header((header::CONTENT_ENCODING, name));
        }
        let token = if self.has_form() { form(&mut response) } else { String::new() };
        let chunks = match (coding, brotli, &self.gzip) {
            (Coding::Brotli, Some(compressed), _) => vec![compressed.clone()],
            (Coding::Gzip, _, Some(gzip)) => gzip.with_token(token.as_bytes()),
            _ => {
                let token = web::Bytes::from(token);
                let mut chunks = Vec::with_capacity(self.parts.len() * 2);
                for (n, part) in self.parts.iter().enumerate() {
                    if n > 0 {
                        chunks.push(token.clone());
                    }
                    chunks.push(part.clone());
                }
                chunks
            }
        };
        response.body(Chunks::new(chunks))
    }

    fn etag(&self, coding: Coding) -> &header::HeaderValue {
        match coding {
            Coding::Identity => &self.etags[0],
            Coding::Gzip => &self.etags[1],
            Coding::Brotli => &self.etags[2],
        }
    }
}

impl Default for PageCache {
    fn default() -> Self {
        Self::new()
    }
}

impl PageCache {
    pub fn new() -> Self {
        Self::with_budget(DEFAULT_BUDGET_BYTES)
    }

    /// A cache whose pages take at most `budget` bytes together.
    pub fn with_budget(budget: usize) -> Self {
        use rand::RngCore;
        let mut nonce = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut nonce);
        Self {
            generation: AtomicU64::new(0),
            kept: RwLock::new(Kept::default()),
            budget,
            placeholder: TokenPlaceholder(format!("hb-form-token-{}", hex(&nonce))),
        }
    }

    /// The bytes the kept pages take now.
    pub fn kept_bytes(&self) -> usize {
        self.kept.read().unwrap_or_else(|poisoned| poisoned.into_inner()).bytes
    }

    /// What a handler renders instead of a form token for the cache.
    pub fn placeholder(&self) -> &str {
        &self.placeholder.0
    }

    /// Forgets every page: something they show has changed.
    pub fn clear(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.kept.write().unwrap_or_else(|poisoned| poisoned.into_inner()).clear();
    }

    /// Counts the changes: a page rendered at one generation is kept only
    /// while it is still the current one.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// The page kept under `key`, unless something changed since.
    pub fn get(&self, key: &str) -> Option<Arc<Entry>> {
        let kept = self.kept.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        let entry = kept.entries.get(key)?;
        (entry.generation == self.generation.load(Ordering::SeqCst)).then(|| Arc::clone(entry))
    }

    /// Keeps `bytes`, a page rendered at `generation`, under `key`, and
    /// returns it ready to serve, with whether it was kept: a page rendered
    /// before a change is served once but never kept.
    pub fn keep(
        &self,
        key: String,
        generation: u64,
        content_type: header::HeaderValue,
        bytes: &web::Bytes,
    ) -> (Arc<Entry>, bool) {
        let entry = Arc::new(Entry::new(generation, content_type, bytes, self.placeholder().as_bytes()));
        let kept = generation == self.generation();
        if kept {
            let mut kept = self.kept.write().unwrap_or_else(|poisoned| poisoned.into_inner());
            kept.insert(key, Arc::clone(&entry), self.budget);
        }
        (entry, kept)
    }
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

/// A body sent as the pieces it is made of (cached parts and a token),
/// without copying them into one buffer first.
struct Chunks {
    chunks: std::vec::IntoIter<web::Bytes>,
    size: u64,
}

impl Chunks {
    fn new(chunks: Vec<web::Bytes>) -> Self {
        let size = chunks.iter().map(|chunk| chunk.len() as u64).sum();
        Self { chunks: chunks.into_iter(), size }
    }
}

impl MessageBody for Chunks {
    type Error = std::convert::Infallible;

    fn size(&self) -> BodySize {
        BodySize::Sized(self.size)
    }

    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<web::Bytes, Self::Error>>> {
        Poll::Ready(self.get_mut().chunks.next().map(Ok))
    }
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
    fn the_kept_pages_stay_within_their_budget_letting_the_oldest_go() {
        let html = header::HeaderValue::from_static("text/html");
        let page = |n: usize| web::Bytes::from(format!("<p>page {n}</p>{}", "x".repeat(10_000 + n)));
        let one = Entry::new(0, html.clone(), &page(0), b"TOKEN").size();
        let cache = PageCache::with_budget(one * 3 + one / 2);
        for n in 0..100 {
            cache.keep(format!("/?page={n}"), 0, html.clone(), &page(n));
            assert!(cache.kept_bytes() <= one * 4, "{} bytes kept after {n} pages", cache.kept_bytes());
        }
        assert!(cache.get("/?page=99").is_some(), "the newest page is kept");
        assert!(cache.get("/?page=97").is_some(), "as many as fit");
        assert!(cache.get("/?page=0").is_none(), "the oldest went first");
        cache.keep("/?page=99".into(), 0, html.clone(), &page(99));
        assert!(cache.kept_bytes() <= one * 4, "a page kept again is counted once");
        let too_large = PageCache::with_budget(one / 2);
        too_large.keep("/".into(), 0, html, &page(1));
        assert!(too_large.get("/").is_none(), "a page larger than the whole budget is served, not kept");
        assert_eq!(too_large.kept_bytes(), 0);
    }

    #[test]
    fn a_page_rendered_before_a_change_is_not_kept() {
        let cache = PageCache::new();
        let html = header::HeaderValue::from_static("text/html");
        let keep = |generation| cache.keep("/".into(), generation, html.clone(), &web::Bytes::from_static(b"x")).1;
        assert!(keep(0));
        assert!(cache.get("/").is_some());
        cache.clear();
        assert!(cache.get("/").is_none(), "a change empties the cache");
        assert!(!keep(0), "a page from before the change is not kept");
        assert!(cache.get("/").is_none());
    }
}
