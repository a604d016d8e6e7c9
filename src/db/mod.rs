//! One connection type for both backends, the pool, and the embedded migrations.

pub mod comments;
pub mod log;
pub mod schema;
pub mod settings;
pub mod users;

use std::path::PathBuf;

use anyhow::{anyhow, bail, Context};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, Pool, PooledConnection, R2D2Connection};
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
pub type DbConn = PooledConnection<ConnectionManager>;

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

    fn connect(&self) -> ConnectionResult<AnyConnection> {
        match self {
            Self::Sqlite(path) => {
                let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy())?;
                // WAL lets readers proceed while a comment is written; the busy
                // timeout makes concurrent writers wait instead of failing.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA foreign_keys = ON;",
                )
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

/// Opens a pool on `url`, creating the SQLite file's folder when needed.
pub fn connect(url: &DatabaseUrl, max_size: u32) -> anyhow::Result<DbPool> {
    if let DatabaseUrl::Sqlite(path) = url {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating the database folder {}", dir.display()))?;
        }
    }
    Pool::builder()
        .max_size(max_size)
        .connection_timeout(std::time::Duration::from_secs(10))
        .build(ConnectionManager { url: url.clone() })
        .with_context(|| format!("opening the {} database", url.backend_name()))
}

/// Brings the schema up to date. On PostgreSQL an advisory lock keeps several
/// instances that start together from migrating at the same time.
pub fn run_migrations(conn: &mut AnyConnection) -> anyhow::Result<()> {
    const MIGRATION_LOCK: i64 = 0x6865_616c_7468;
    match conn {
        AnyConnection::Sqlite(conn) => {
            conn.run_pending_migrations(SQLITE_MIGRATIONS)
                .map_err(|e| anyhow!("migrating the SQLite database: {e}"))?;
        }
        AnyConnection::Postgresql(conn) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).execute(conn)?;
            let result = conn
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|_| ())
                .map_err(|e| anyhow!("migrating the PostgreSQL database: {e}"));
            diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).execute(conn)?;
            result?;
        }
    }
    Ok(())
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
