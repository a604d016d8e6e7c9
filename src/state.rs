//! What every request handler shares: settings, the article library, the
//! compiled templates, the database pool and the keys.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::Notify;

use actix_web::http::header::{self, ContentType};
use actix_web::HttpResponse;
use anyhow::{anyhow, Context as _};
use serde::Serialize;
use tera::{Context, Tera};

use crate::auth::password::PasswordChecker;
use crate::client_address::{client_address, ProxyPolicy};
use crate::comments::outlines::{KeptOutlines, OutlinesAt};
use crate::config::{Settings, SiteSettings};
use crate::content::Library;
use crate::db::checkpoints::Checkpoints;
use crate::db::{self, AnyConnection, DatabaseFile, DbPool};
use crate::error::AppError;
use crate::keys::Keys;
use crate::mail::compose::Render;
use crate::mail::sender::Mailer;
use crate::media::hot::HotVariants;
use crate::page_cache::PageCache;
use crate::static_files::StaticFiles;
use crate::structured_data::JsonLd;
use crate::trust::red_flags::RedFlags;

/// How long a sign-in may wait for a free password check slot before it
/// is answered 429: long enough to ride out a burst, short enough that a
/// flood does not pile up requests.
const PASSWORD_CHECK_MAX_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

pub struct AppState {
    pub settings: Settings,
    /// The site's time zone, every date shown is on its clock.
    pub zone: chrono_tz::Tz,
    library: RwLock<Arc<Library>>,
    templates: Tera,
    pub pool: DbPool,
    pub keys: Keys,
    pub static_files: StaticFiles,
    /// The SQLite file in use, watched for deletion or replacement.
    pub database_file: Option<DatabaseFile>,
    /// The SQLite log's checkpoints, off the requests' path.
    pub checkpoints: Option<Checkpoints>,
    site: SiteView,
    proxies: ProxyPolicy,
    /// Checks sign-in passwords, a bounded number at a time.
    pub passwords: PasswordChecker,
    /// Sends the outbox.
    pub mailer: Mailer,
    /// Wakes the mail sender after a write queued a message.
    mail_wake: Arc<Notify>,
    /// The database's content counter when the articles were last loaded.
    content_version: AtomicI64,
    /// The database's pages counter when the server started.
    pages_version: AtomicI64,
    /// Rendered public pages.
    pub page_cache: PageCache,
    /// The most-read picture sizes.
    pub hot_media: HotVariants,
    /// The emergency signs every reader's comment is checked against.
    pub red_flags: RedFlags,
    /// The approved comments of each discussion, kept with the pages.
    outlines: Arc<KeptOutlines>,
    /// Held while the library is built again from the database.
    pub library_reload: tokio::sync::Mutex<()>,
    /// Which background workers are down now.
    pub workers: Arc<WorkerHealth>,
}

/// Site-wide values every template can use as `site.*`.
#[derive(Debug, Serialize)]
struct SiteView {
    #[serde(flatten)]
    settings: SiteSettings,
    base_url: String,
    /// Appended to static URLs so that browsers may cache them for a year.
    static_version: String,
}

/// A page linked from the site header.
#[derive(Serialize)]
struct HeaderLink<'a> {
    path: String,
    title: &'a str,
}

/// What a page says about itself in `<head>`.
#[derive(Debug, Default, Serialize)]
pub struct PageMeta {
    pub title: String,
    pub description: String,
    /// The site-relative path of the page's canonical URL.
    pub path: String,
    /// `website` or `article`, for OpenGraph.
    pub og_type: &'static str,
    /// Structured data for a `<script type="application/ld+json">`.
    pub json_ld: Option<JsonLd>,
    /// Keeps search engines off pages such as search results.
    pub noindex: bool,
    /// The absolute address of the page's picture, for Open Graph.
    pub image: String,
}

impl PageMeta {
    pub fn new(title: impl Into<String>, description: impl Into<String>, path: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            description: description.into(),
            path: path.into(),
            og_type: "website",
            ..Self::default()
        }
    }

    /// Structured data for a page that lists articles.
    pub fn collection(self, base_url: &str) -> Self {
        let data = serde_json::json!({
            "@context": "https://schema.org",
            "@type": "CollectionPage",
            "name": self.title,
            "description": self.description,
            "url": format!("{base_url}{}", self.path),
        });
        self.with_json_ld(&data)
    }

    pub fn with_json_ld(mut self, value: &serde_json::Value) -> Self {
        self.json_ld = Some(JsonLd::new(value));
        self
    }
}

/// Which background workers (`workers`) are down now, and why.
#[derive(Debug, Default)]
pub struct WorkerHealth {
    down: Mutex<BTreeMap<&'static str, String>>,
}

impl WorkerHealth {
    /// The workers that are down, each with what stopped it.
    pub fn down(&self) -> Vec<(&'static str, String)> {
        self.lock().iter().map(|(name, why)| (*name, why.clone())).collect()
    }

    pub(crate) fn set_down(&self, name: &'static str, why: String) {
        self.lock().insert(name, why);
    }

    pub(crate) fn set_up(&self, name: &'static str) {
        self.lock().remove(name);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<&'static str, String>> {
        // A panic while holding this lock leaves a map that is still whole.
        self.down.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl AppState {
    pub fn new(
        settings: Settings,
        library: Library,
        templates: Tera,
        pool: DbPool,
        keys: Keys,
        static_files: StaticFiles,
    ) -> anyhow::Result<Self> {
        let proxies = settings.proxy_policy()?;
        let zone = settings.site.zone()?;
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let passwords = PasswordChecker::new(cores, PASSWORD_CHECK_MAX_WAIT)?;
        let site = SiteView {
            settings: settings.site.clone(),
            base_url: settings.base_url().to_owned(),
            static_version: static_files.version().to_owned(),
        };
        let mailer = Mailer::new(&settings)?;
        let red_flags = match &settings.trust.red_flags {
            None => RedFlags::shipped(),
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading the red-flag rules in {} ([trust] red_flags)", path.display()))?;
                RedFlags::parse(&text).map_err(|error| {
                    anyhow!("the red-flag rules in {} ([trust] red_flags) have a problem: {error}", path.display())
                })?
            }
        };
        Ok(Self {
            mailer,
            mail_wake: Arc::new(Notify::new()),
            content_version: AtomicI64::new(0),
            pages_version: AtomicI64::new(0),
            page_cache: PageCache::with_budget(settings.page_cache_mb.saturating_mul(1024 * 1024)),
            hot_media: HotVariants::new(settings.media_cache_mb.saturating_mul(1024 * 1024)),
            outlines: Arc::default(),
            red_flags,
            library_reload: tokio::sync::Mutex::new(()),
            workers: Arc::default(),
            zone,
            settings,
            library: RwLock::new(Arc::new(library)),
            templates,
            pool,
            keys,
            static_files,
            database_file: None,
            checkpoints: None,
            site,
            proxies,
            passwords,
        })
    }

    pub fn content_version(&self) -> i64 {
        self.content_version.load(Ordering::SeqCst)
    }

    pub fn set_content_version(&self, version: i64) {
        self.content_version.store(version, Ordering::SeqCst);
    }

    pub fn pages_version(&self) -> i64 {
        self.pages_version.load(Ordering::SeqCst)
    }

    /// The pages counter this instance's pages are up to date with; it never
    /// goes back.
    pub fn set_pages_version(&self, version: i64) {
        self.pages_version.fetch_max(version, Ordering::SeqCst);
    }

    /// Tells the mail sender that messages may be waiting.
    fn wake_mail(&self) {
        self.mail_wake.notify_one();
    }

    /// Waits until `wake_mail` is called or `timeout` passes.
    pub async fn mail_woken(&self, timeout: std::time::Duration) {
        let _ = tokio::time::timeout(timeout, self.mail_wake.notified()).await;
    }

    /// The kept outlines of the discussions, at the page cache's generation
    /// now (take it before reading the database).
    pub fn outlines(&self) -> OutlinesAt {
        OutlinesAt::new(Arc::clone(&self.outlines), self.page_cache.generation())
    }

    /// The current article library.
    pub fn library(&self) -> Arc<Library> {
        match self.library.read() {
            Ok(library) => Arc::clone(&library),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Swaps in a freshly loaded library.
    pub fn replace_library(&self, library: Library) {
        let library = Arc::new(library);
        match self.library.write() {
            Ok(mut current) => *current = library,
            Err(poisoned) => *poisoned.into_inner() = library,
        }
        self.page_cache.clear();
    }

    /// The client's address: the peer, or the address our trusted proxy
    /// saw when the site is configured to be behind one.
    pub fn client_ip(&self, request: &actix_web::HttpRequest) -> String {
        let Some(peer) = request.peer_addr() else { return String::new() };
        let lines = |name| request.headers().get_all(name).filter_map(|value| value.to_str().ok());
        let forwarded_for = lines(header::X_FORWARDED_FOR);
        let forwarded = lines(header::FORWARDED);
        client_address(peer.ip(), forwarded_for, forwarded, &self.proxies).to_string()
    }

    /// The one road of a write: runs `work` on the blocking pool in one
    /// write transaction (`db::write`, which the use cases' own transactions
    /// join), and once it is committed checks that the SQLite file is still
    /// the one opened (a write to a deleted file succeeds, and is lost) and
    /// wakes the mail sender for whatever the change queued. The change
    /// counters are touched by the `db` functions, in the transaction.
    ///
    /// Whatever went wrong comes back as `E`, one flat result: no
    /// connection, the work's own error, a failed commit, a replaced file.
    /// Only an `Ok` may be acknowledged.
    pub async fn write<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<diesel::result::Error> + From<anyhow::Error> + Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    {
        let pool = self.pool.clone();
        let written = actix_web::web::block(move || {
            let mut conn = pool.get().context("waiting for a database connection")?;
            db::write(&mut conn, work)
        })
        .await
        .map_err(|cancelled| anyhow!("database task was cancelled: {cancelled}"))?;
        let value = written?;
        self.check_database_file()?;
        self.wake_mail();
        Ok(value)
    }

    /// The health check's write (the heartbeat row), acknowledged as every
    /// other write is: an error when the database cannot keep writes.
    pub async fn heartbeat(&self) -> anyhow::Result<()> {
        let pool = self.pool.clone();
        db::run(&pool, db::heartbeat).await.context("the health check's write")?;
        self.check_database_file()
    }

    /// An error when the SQLite file was deleted or replaced under the
    /// server: checked before a write is acknowledged.
    fn check_database_file(&self) -> anyhow::Result<()> {
        self.database_file.as_ref().map_or(Ok(()), DatabaseFile::check)
    }

    pub fn base_url(&self) -> &str {
        self.settings.base_url()
    }

    /// Renders a template with `site`, `meta` and the header's `pages` filled in.
    pub fn render(&self, template: &str, meta: &PageMeta, mut context: Context) -> Result<String, AppError> {
        context.insert("site", &self.site);
        context.insert("meta", meta);
        let library = self.library();
        let pages: Vec<HeaderLink> =
            library.pages().map(|page| HeaderLink { path: format!("/{}", page.slug), title: &page.title }).collect();
        context.insert("header_pages", &pages);
        self.templates
            .render(template, &context)
            .map_err(|e| AppError::Unexpected(anyhow!(tera_error_chain(&e)).context(format!("rendering {template}"))))
    }

    /// A 200 HTML page.
    pub fn page(&self, template: &str, meta: &PageMeta, context: Context) -> Result<HttpResponse, AppError> {
        let body = self.render(template, meta, context)?;
        Ok(HttpResponse::Ok().content_type(ContentType::html()).body(body))
    }
}

impl Render for AppState {
    fn render_mail(&self, template: &str, context: &Context) -> anyhow::Result<String> {
        self.templates
            .render(template, context)
            .map_err(|e| anyhow!(tera_error_chain(&e)).context(format!("rendering {template}")))
    }
}

fn tera_error_chain(error: &tera::Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}
