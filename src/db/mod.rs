//! One connection type for both backends, the pool, and the embedded migrations.

pub mod answers;
pub mod articles;
pub mod change_counters;
pub mod checkpoints;
pub mod comments;
pub mod exports;
pub mod imports;
pub mod log;
pub mod login_attempts;
pub mod media;
pub mod outbox;
pub mod redirects;
pub mod row_counts;
pub mod schema;
pub mod sessions;
pub mod settings;
pub mod snapshots;
pub mod spent_tokens;
pub mod subscribers;
pub mod users;

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, Pool, R2D2Connection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

diesel::define_sql_function! {
    /// Lower case. On SQLite the built-in folds only A to Z, so every
    /// connection replaces it with Rust's Unicode-aware version.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

pub type DbPool = Pool<ConnectionManager>;

/// A connection taken from the pool.
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Where the database lives, decided by the URL's scheme alone (SQLite would
/// happily treat a mistyped PostgreSQL URL as a file name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                bail!("the SQLite database URL `{url}` names no file (expected sqlite://path/to/file.db)");
            }
            Ok(Self::Sqlite(PathBuf::from(path)))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres(url.to_owned()))
        } else {
            bail!("unsupported database URL `{url}`: use sqlite://path or postgres://user@host/db")
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    /// Opens one connection and closes it: does the database answer?
    pub fn check_connection(&self) -> anyhow::Result<()> {
        self.connect().map(drop).map_err(|error| {
            let message = error.to_string();
            anyhow!("{}", message.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" "))
        })
    }

    /// One connection of its own, without a pool, a folder check or a
    /// migration: for a look that changes nothing (an import's dry run).
    pub fn open(&self) -> anyhow::Result<AnyConnection> {
        self.connect().with_context(|| format!("opening the {} database {}", self.backend_name(), self.redacted()))
    }

    /// The URL without its password, for messages and logs.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
            Self::Postgres(text) => match url::Url::parse(text) {
                Ok(mut url) => {
                    if url.password().is_some() {
                        let _ = url.set_password(Some("xxxxx"));
                    }
                    url.to_string()
                }
                Err(_) => "(an unreadable postgres:// URL)".into(),
            },
        }
    }

    fn connect(&self) -> ConnectionResult<AnyConnection> {
        match self {
            Self::Sqlite(path) => {
                let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy())?;
                // WAL lets readers proceed while a comment is written; the busy
                // timeout makes concurrent writers wait instead of failing.
                // synchronous = FULL syncs the log at every commit, so that a
                // comment acknowledged survives a power cut too (NORMAL, in WAL
                // mode, may lose the last commits then). A server copies the
                // log back into the file on a thread of its own (`checkpoints`).
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                     PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = {};",
                    checkpoints::BACKSTOP_PAGES
                ))
                .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
                lower_utils::register_impl(&mut conn, |text: String| text.to_lowercase())
                    .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
                Ok(AnyConnection::Sqlite(conn))
            }
            Self::Postgres(url) => diesel::PgConnection::establish(url).map(AnyConnection::Postgresql),
        }
    }
}

/// An r2d2 manager that opens the backend named by the URL's scheme.
#[derive(Debug)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = AnyConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, r2d2::Error> {
        self.url.connect().map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        conn.is_broken()
    }
}

/// Lets go of the pages this SQLite connection keeps in its cache (up to
/// 2 MB a connection), after a read of pages no page needs again: a
/// picture's bytes, or a row of every picture. Nothing to do on PostgreSQL.
fn let_go_of_read_pages(conn: &mut AnyConnection) -> QueryResult<()> {
    if let AnyConnection::Sqlite(sqlite) = conn {
        sqlite.batch_execute("PRAGMA shrink_memory")?;
    }
    Ok(())
}

/// Opens a pool on `url`, creating the SQLite file's folder when needed.
pub fn connect(url: &DatabaseUrl, max_size: u32) -> anyhow::Result<DbPool> {
    // On SQLite, one connection first, held while the pool opens its own:
    // the pool's connections open all at once, and a new database file
    // switching to WAL, or a WAL index being set up again after the last
    // connection closed, makes them fight over a lock that SQLite does not
    // wait for ("database is locked" in the log, then a retry). With this
    // one open, the file is in WAL mode and its index exists.
    let _first = match url {
        DatabaseUrl::Sqlite(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating the database folder {}", dir.display()))?;
            }
            check_writable(path)?;
            Some(url.connect().with_context(|| format!("opening the SQLite database {}", path.display()))?)
        }
        DatabaseUrl::Postgres(_) => None,
    };
    Pool::builder()
        .max_size(max_size)
        .connection_timeout(std::time::Duration::from_secs(10))
        .build(ConnectionManager { url: url.clone() })
        .with_context(|| format!("opening the {} database", url.backend_name()))
}

/// An empty database with the current schema, in memory: nothing is
/// written anywhere, and it is gone when the connection closes.
pub fn in_memory() -> anyhow::Result<AnyConnection> {
    let mut conn = DatabaseUrl::Sqlite(PathBuf::from(":memory:")).open()?;
    run_migrations(&mut conn)?;
    Ok(conn)
}

/// Brings the schema up to date. On PostgreSQL an advisory lock keeps several
/// instances that start together from migrating at the same time.
pub fn run_migrations(conn: &mut AnyConnection) -> anyhow::Result<()> {
    const MIGRATION_LOCK: i64 = 0x6865_616c_7468;
    let postgres = matches!(conn, AnyConnection::Postgresql(_));
    if postgres {
        diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).execute(conn)?;
    }
    let result = migrate(conn);
    if postgres {
        diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).execute(conn)?;
    }
    result
}

/// Runs the pending migrations, and what must follow one of them.
fn migrate(conn: &mut AnyConnection) -> anyhow::Result<()> {
    let applied = match conn {
        AnyConnection::Sqlite(conn) => conn
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(versions)
            .map_err(|e| anyhow!("migrating the SQLite database: {e}"))?,
        AnyConnection::Postgresql(conn) => conn
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(versions)
            .map_err(|e| anyhow!("migrating the PostgreSQL database: {e}"))?,
    };
    if applied.iter().any(|version| version == EMAIL_KEYS_MIGRATION) {
        let changed = write(conn, |conn| comments::rekey_addresses(conn, 10_000))
            .context("checking the address keys the migration gave the comments")?;
        if changed > 0 {
            tracing::info!(changed, "address keys redone in Rust after the migration");
        }
    }
    Ok(())
}

/// The migration (`migrations/*/2026-12-07-000001_email_keys`) that keyed
/// the comments by address in SQL, checked in Rust after it ran.
const EMAIL_KEYS_MIGRATION: &str = "20261207000001";

fn versions(applied: Vec<diesel::migration::MigrationVersion<'_>>) -> Vec<String> {
    applied.iter().map(ToString::to_string).collect()
}

/// SQLite writes its database, its write-ahead log (`-wal`) and its shared
/// memory index (`-shm`) beside each other; if any cannot be written the
/// server would accept comments it cannot keep, or die of SIGBUS on the
/// memory-mapped index. Found here, it is one clear error at start.
fn check_writable(path: &Path) -> anyhow::Result<()> {
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => dir.to_owned(),
        None => PathBuf::from("."),
    };
    let hint = |what: &Path| {
        format!(
            "{} is not writable; the database needs its folder {} and the files in it to be writable by the user \
             that runs healthblog",
            what.display(),
            dir.display()
        )
    };
    let probe = dir.join(format!(".healthblog-write-check-{}", std::process::id()));
    std::fs::OpenOptions::new().write(true).create(true).truncate(true).open(&probe).with_context(|| hint(&dir))?;
    let _ = std::fs::remove_file(&probe);
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", path.display()));
        if file.exists() {
            may_write(&file).with_context(|| hint(&file))?;
        }
    }
    Ok(())
}

/// Whether this process may write `file`, asked without opening it: closing
/// any descriptor of a database file drops every POSIX lock SQLite holds on
/// it in this process.
#[cfg(unix)]
fn may_write(file: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(file.as_os_str().as_bytes())?;
    // SAFETY: `path` is a valid NUL-terminated string that outlives the call.
    if unsafe { libc::access(path.as_ptr(), libc::W_OK) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(unix))]
fn may_write(file: &Path) -> std::io::Result<()> {
    if std::fs::metadata(file)?.permissions().readonly() {
        return Err(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
    }
    Ok(())
}

/// The SQLite database file a server opened, to notice when it is deleted
/// or replaced while the server runs: writes would then go to a file that
/// nobody will ever open again.
#[derive(Clone, Debug)]
pub struct DatabaseFile {
    path: PathBuf,
    identity: FileIdentity,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileIdentity {
    device: u64,
    inode: u64,
}

impl FileIdentity {
    #[cfg(unix)]
    fn of(path: &Path) -> std::io::Result<Self> {
        use std::os::unix::fs::MetadataExt;
        let metadata = std::fs::metadata(path)?;
        Ok(Self { device: metadata.dev(), inode: metadata.ino() })
    }

    #[cfg(not(unix))]
    fn of(path: &Path) -> std::io::Result<Self> {
        std::fs::metadata(path).map(|_| Self { device: 0, inode: 0 })
    }
}

impl DatabaseFile {
    /// The file behind `url` as it is now; `None` for PostgreSQL.
    pub fn of(url: &DatabaseUrl) -> anyhow::Result<Option<Self>> {
        match url {
            DatabaseUrl::Sqlite(path) => {
                let identity =
                    FileIdentity::of(path).with_context(|| format!("reading the database file {}", path.display()))?;
                Ok(Some(Self { path: path.clone(), identity }))
            }
            DatabaseUrl::Postgres(_) => Ok(None),
        }
    }

    /// An error when the file is gone or another file took its place.
    pub fn check(&self) -> anyhow::Result<()> {
        match FileIdentity::of(&self.path) {
            Ok(identity) if identity == self.identity => Ok(()),
            Ok(_) => bail!(
                "the database file {} was replaced while the server runs: what is written now is lost. Restart \
                 healthblog to use the new file, or put the old one back",
                self.path.display()
            ),
            Err(error) => bail!(
                "the database file {} is gone ({error}) while the server runs: what is written now is lost. \
                 Restore it from a backup and restart healthblog",
                self.path.display()
            ),
        }
    }
}

/// Runs `work` in a transaction that may write: the one road for every
/// write transaction (clippy refuses `Connection::transaction` elsewhere).
///
/// On SQLite the transaction takes the write lock as it begins (`BEGIN
/// IMMEDIATE`), waiting for it under the busy timeout. A deferred one that
/// reads first and writes later fails at once with "database is locked" when
/// another connection wrote in between: waiting cannot help it, its snapshot
/// is stale. Inside a transaction already, `work` gets a savepoint in it.
#[allow(clippy::disallowed_methods)]
pub fn write<T, E, F>(conn: &mut AnyConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    type Manager = <AnyConnection as Connection>::TransactionManager;

    let AnyConnection::Sqlite(sqlite) = conn else { return conn.transaction(work) };
    if AnsiTransactionManager::transaction_manager_status_mut(sqlite).transaction_depth()?.is_some() {
        return conn.transaction(work);
    }
    AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    // From here as `Connection::transaction` goes on: the multi-backend
    // manager hands commit and rollback to SQLite's, which began it.
    match work(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => match Manager::rollback_transaction(conn) {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(error),
            Err(rollback) => Err(rollback.into()),
        },
    }
}

/// Rewrites the heartbeat row and commits: an error when the database
/// cannot write (full disk, read-only files, a server refusing writes).
pub fn heartbeat(conn: &mut AnyConnection) -> anyhow::Result<()> {
    use schema::heartbeat;
    write(conn, |conn| {
        let updated = diesel::update(heartbeat::table.find(1)).set(heartbeat::checked_at.eq(now())).execute(conn)?;
        if updated == 0 {
            diesel::insert_into(heartbeat::table)
                .values((heartbeat::id.eq(1), heartbeat::checked_at.eq(now())))
                .execute(conn)?;
        }
        Ok::<_, diesel::result::Error>(())
    })
    .context("writing to the database")
}

/// Runs blocking database work on actix's thread pool.
pub async fn run<T, F>(pool: &DbPool, work: F) -> anyhow::Result<T>
where
    T: Send + 'static,
    F: FnOnce(&mut AnyConnection) -> anyhow::Result<T> + Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get().context("waiting for a database connection")?;
        work(&mut conn)
    })
    .await
    .context("database task was cancelled")?
}

/// The current time as stored in the database (UTC, microsecond precision on
/// both backends).
pub fn now() -> chrono::NaiveDateTime {
    let now = chrono::Utc::now().naive_utc();
    chrono::SubsecRound::trunc_subsecs(now, 6)
}
