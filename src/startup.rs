//! Builds the application: loads content and templates, opens and migrates
//! the database, and mounts every route.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use actix_session::config::{CookieContentSecurity, PersistentSession};
use actix_session::SessionMiddleware;
use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::cookie::SameSite;
use actix_web::dev::Server;
use actix_web::middleware::{from_fn, Compress, ErrorHandlers, NormalizePath};
use actix_web::{guard, web, App, HttpServer};
use anyhow::{anyhow, bail, Context};
use tracing_actix_web::TracingLogger;

use crate::auth::session_store::DbSessionStore;
use crate::config::Settings;
use crate::content;
use crate::db::checkpoints::Checkpoints;
use crate::db::{self, DatabaseFile, DatabaseUrl};
use crate::keys::Keys;
use crate::routes::{
    admin, body_deadline, cached_pages, error_pages, health, mail_links, media, page, public, security_headers,
    static_files,
};
use crate::state::AppState;
use crate::static_files::StaticFiles;
use crate::telemetry::RequestSpan;
use crate::templates;

/// Form bodies larger than this are refused with 413.
pub const FORM_LIMIT_BYTES: usize = 64 * 1024;

/// Kept here for the command line and the tests, which read `content/` as
/// the server does.
pub use crate::content::files::{check_content_folder, read_content_folder};
pub use crate::content::store::store_files;

pub struct Application {
    address: std::net::SocketAddr,
    server: Server,
    state: web::Data<AppState>,
}

impl Application {
    /// Everything that can be found wrong without the database (the content,
    /// the templates, the static files, the key, the address to listen on)
    /// is checked before the database is opened and migrated.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let zone = settings.site.zone()?;
        let files = read_content_folder(&settings.content_dir)?;
        let templates = templates::load(settings.templates_dir.as_deref())?;
        let static_files = StaticFiles::load(settings.static_dir.as_deref())?;
        if let Some(warning) = crate::static_files::old_uploads_warning(&settings.uploads_dir()) {
            tracing::warn!("{warning}");
        }
        let keys = Keys::load(&settings)?;
        crate::memory::map_large_buffers_apart();
        let listener = listen(&settings.bind)?;
        let address = listener.local_addr()?;

        let pool = connect_and_migrate(&settings).await?;
        let content_dir = settings.content_dir.clone();
        db::run(&pool, move |conn| store_files(conn, &content_dir, &files)).await?;
        let library = db::run(&pool, move |conn| content::store::load_library(conn, db::now(), zone)).await?;
        // Where the change counters stand before the first page is served.
        let counters = db::run(&pool, |conn| Ok(db::change_counters::all(conn)?)).await?;
        let counter = |name| counters.get(name).copied().unwrap_or(0);
        let (content_version, pages_version) =
            (counter(db::change_counters::CONTENT), counter(db::change_counters::PAGES));
        let url = DatabaseUrl::parse(&settings.database_url)?;
        let database_file = DatabaseFile::of(&url)?;
        let checkpoints = Checkpoints::start(&url).context("opening the database for its checkpoints")?;
        let workers = settings.workers;
        let mut state = AppState::new(settings, library, templates, pool, keys, static_files)?;
        state.database_file = database_file;
        state.checkpoints = checkpoints;
        state.set_content_version(content_version);
        state.set_pages_version(pages_version);
        let state = web::Data::new(state);
        let server = run(listener, state.clone(), workers)?;
        Ok(Self { address, server, state })
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// Where it listens (the real port when the configured one was 0).
    pub fn address(&self) -> std::net::SocketAddr {
        self.address
    }

    /// What the running server shares between requests (its caches among
    /// them), for the tests to change as a request would.
    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until the process is asked to stop. SIGHUP reloads the articles.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        crate::workers::start(&self.state);
        self.server.await
    }
}

/// The listening socket on `bind`, or an error that says what to do.
fn listen(bind: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(bind).map_err(|error| match error.kind() {
        std::io::ErrorKind::AddrInUse => anyhow!(
            "cannot listen on {bind}: another program already uses that port (another healthblog?); stop it, \
             or choose another address with --bind, `bind` or HEALTHBLOG_BIND"
        ),
        std::io::ErrorKind::PermissionDenied => anyhow!(
            "cannot listen on {bind}: permission denied (ports below 1024 need privileges; use a higher port \
             behind nginx or Caddy)"
        ),
        _ => anyhow!("cannot listen on {bind}: {error} (set `bind` to an address and port such as 127.0.0.1:8080)"),
    })
}

/// Opens the database pool and brings the schema up to date. An unreachable
/// PostgreSQL server is waited for, up to `database_wait_seconds`.
pub async fn connect_and_migrate(settings: &Settings) -> anyhow::Result<db::DbPool> {
    let url = DatabaseUrl::parse(&settings.database_url)?;
    wait_for_database(&url, Duration::from_secs(settings.database_wait_seconds)).await?;
    let pool = db::connect(&url, settings.pool_size.max(1))?;
    db::run(&pool, db::run_migrations).await.context("bringing the database schema up to date")?;
    tracing::info!(backend = url.backend_name(), "database ready");
    Ok(pool)
}

/// The database of a one-shot command (all but `serve` and `migrate`), which
/// must already exist: pointed at a SQLite file that is not there (a wrong
/// working folder, a mistyped path), it says which one and stops rather
/// than create a new, empty database.
pub async fn connect_existing(settings: &Settings) -> anyhow::Result<db::DbPool> {
    if let DatabaseUrl::Sqlite(path) = DatabaseUrl::parse(&settings.database_url)? {
        if !path.exists() {
            bail!(
                "the database {} does not exist (working folder {}); set HEALTHBLOG_DATABASE_URL or `database_url` \
                 to the site's database, or create this one with `healthblog migrate`",
                path.display(),
                std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_default()
            );
        }
    }
    connect_and_migrate(settings).await
}

/// The first wait between attempts to reach PostgreSQL; each next one is
/// twice as long, up to `LONGEST_WAIT`.
const FIRST_WAIT: Duration = Duration::from_millis(500);
const LONGEST_WAIT: Duration = Duration::from_secs(8);

/// Tries PostgreSQL until it answers, saying so on each retry, and gives up
/// after `patience`: a database that starts after the blog (a reboot, a
/// container) is waited for, and a wrong address ends with a clear error.
async fn wait_for_database(url: &DatabaseUrl, patience: Duration) -> anyhow::Result<()> {
    if !matches!(url, DatabaseUrl::Postgres(_)) {
        return Ok(()); // A file opens or fails at once.
    }
    let started = Instant::now();
    let mut wait = FIRST_WAIT;
    loop {
        let probe = url.clone();
        let error = match actix_web::rt::task::spawn_blocking(move || probe.check_connection()).await? {
            Ok(()) => return Ok(()),
            Err(error) => error,
        };
        let remaining = patience.saturating_sub(started.elapsed());
        if remaining.is_zero() {
            bail!(
                "gave up reaching the PostgreSQL database {} after {} s (last error: {error:#}); check that the \
                 server runs and that HEALTHBLOG_DATABASE_URL is right (`database_wait_seconds` sets how long to wait)",
                url.redacted(),
                started.elapsed().as_secs()
            );
        }
        let pause = wait.min(remaining);
        tracing::warn!(
            "the PostgreSQL database {} does not answer ({error:#}); trying again in {:.1} s",
            url.redacted(),
            pause.as_secs_f64()
        );
        tokio::time::sleep(pause).await;
        wait = (wait * 2).min(LONGEST_WAIT);
    }
}

fn run(listener: TcpListener, state: web::Data<AppState>, workers: usize) -> anyhow::Result<Server> {
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::FormConfig::default().limit(FORM_LIMIT_BYTES))
            .app_data(web::PayloadConfig::default().limit(FORM_LIMIT_BYTES))
            .wrap(from_fn(body_deadline::limit_body_time))
            .wrap(from_fn(cached_pages::serve))
            // `/posts/slug/` is `/posts/slug`: old links often end in a slash.
            .wrap(NormalizePath::trim())
            .wrap(session_middleware(&state))
            .wrap(ErrorHandlers::new().default_handler(error_pages::render))
            .wrap(security_headers::middleware())
            .wrap(Compress::default())
            // A page from the cache is answered here, in front of the
            // session, error and compression layers it does not need.
            .wrap(from_fn(cached_pages::answer_from_cache))
            .wrap(TracingLogger::<RequestSpan>::new())
            .route("/", page().to(public::home::home))
            .route("/posts/{slug}", page().to(public::post::show))
            .route("/posts/{slug}/comment-page-{page}", page().to(public::post::comment_page))
            .route("/posts/{slug}/comments", web::post().to(public::comments::create))
            .route("/comments/check", web::post().to(public::comments::check_typed))
            .route("/comments/private/{id}", page().to(public::private::sent))
            .route("/posts/{slug}/comments.xml", page().to(public::comments::feed))
            .configure(public::manage::configure)
            .route("/tags", page().to(public::tags::index))
            .route("/tags/{tag}", page().to(public::tags::show))
            .route("/tags/{tag}/feed.xml", page().to(public::feed::tag))
            .route("/archive", page().to(public::archive::show))
            .route("/search", page().to(public::search::search))
            .route("/feed.xml", page().to(public::feed::articles))
            .route("/sitemap.xml", page().to(public::discovery::sitemap))
            .route("/sitemap-{number}.xml", page().to(public::discovery::sitemap_part))
            .route("/robots.txt", page().to(public::discovery::robots))
            .route("/manifest.webmanifest", page().to(public::discovery::manifest))
            .route("/healthz", page().to(health::healthz))
            .configure(mail_links::configure)
            .configure(admin::configure)
            .route("/static/{path:.*}", page().to(static_files::serve))
            .route("/media/{file}", page().to(media::serve))
            // Last, so that a page never shadows another route: it answers
            // only addresses that name a page.
            .route("/{slug}", page().guard(guard::fn_guard(public::page::is_page)).to(public::page::show))
            .default_service(web::to(public::old_address::not_found))
    })
    // Responses go out as soon as they are written: with Nagle's algorithm
    // the last small segment of a response waited for the client's delayed
    // ACK (about 13 ms a response on a keep-alive connection).
    .on_connect(|connection, _| {
        if let Some(tcp) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() {
            let _ = tcp.set_nodelay(true);
        }
    })
    // A page up to this size goes out in one write rather than in 32 KiB
    // pieces (an article with its discussion is often 50–100 KiB).
    .h1_write_buffer_size(128 * 1024)
    // A request's head must arrive within this; its body has its own
    // deadline (`body_deadline`).
    .client_request_timeout(Duration::from_secs(5))
    .listen(listener)?;
    if workers > 0 {
        server = server.workers(workers);
    }
    Ok(server.run())
}

/// The author's session: state in the database, a signed and encrypted key
/// in a `SameSite=Strict`, `HttpOnly` cookie (`Secure` on https sites).
fn session_middleware(state: &AppState) -> SessionMiddleware<DbSessionStore> {
    let settings = &state.settings;
    SessionMiddleware::builder(DbSessionStore::new(state.pool.clone()), state.keys.cookie().clone())
        .cookie_name("hb_session".into())
        .cookie_content_security(CookieContentSecurity::Private)
        .cookie_same_site(SameSite::Strict)
        .cookie_http_only(true)
        .cookie_secure(settings.is_https())
        .session_lifecycle(
            PersistentSession::default().session_ttl(CookieDuration::days(i64::from(settings.session_max_days))),
        )
        .build()
}
