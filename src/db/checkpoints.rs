//! SQLite commits to its write-ahead log and later copies the log's pages
//! back into the database file: a checkpoint. Left to itself, the connection
//! whose commit takes the log past a threshold does it before its statement
//! returns, so that every hundredth comment or so waits milliseconds for
//! pages that are not its own. A server instead checkpoints on a thread of
//! its own, a moment after writes, while requests go on: the log is then
//! copied back long before any commit reaches `BACKSTOP_PAGES`, the
//! threshold kept on every connection should this thread fall behind.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::sql_types::Integer;
use diesel::{QueryableByName, RunQueryDsl, SqliteConnection};

use super::{AnyConnection, DatabaseUrl};

/// The log's size, in pages, at which a committing connection checkpoints
/// itself (SQLite's default is 1,000: about 4 MB).
pub const BACKSTOP_PAGES: u32 = 10_000;

/// How soon a checkpoint follows writes: while the log grows, every
/// `BUSY_EVERY` (at most a few thousand pages each time); once it stopped,
/// every `IDLE_EVERY`.
const BUSY_EVERY: Duration = Duration::from_millis(200);
const IDLE_EVERY: Duration = Duration::from_secs(1);

/// The checkpointing thread of one server; dropping this ends it (within
/// `IDLE_EVERY`, with its connection).
pub struct Checkpoints {
    stop: Arc<AtomicBool>,
}

impl Drop for Checkpoints {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[derive(QueryableByName)]
struct Progress {
    /// Frames in the log.
    #[diesel(sql_type = Integer)]
    log: i32,
}

impl Checkpoints {
    /// Starts checkpointing the SQLite database at `url` on a thread with a
    /// connection of its own; `None` for PostgreSQL, which needs none.
    pub fn start(url: &DatabaseUrl) -> anyhow::Result<Option<Self>> {
        if !matches!(url, DatabaseUrl::Sqlite(_)) {
            return Ok(None);
        }
        let AnyConnection::Sqlite(mut conn) = url.connect()? else { return Ok(None) };
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        std::thread::Builder::new().name("sqlite-checkpoints".into()).spawn(move || {
            let mut last_log = None;
            while !stopped.load(Ordering::Relaxed) {
                let log = checkpoint(&mut conn);
                let growing = log.is_some() && log != last_log;
                last_log = log;
                std::thread::sleep(if growing { BUSY_EVERY } else { IDLE_EVERY });
            }
        })?;
        Ok(Some(Self { stop }))
    }
}

/// Copies what it can of the log into the database file, without waiting
/// for readers or writers; the log's size in frames, `None` on an error.
fn checkpoint(conn: &mut SqliteConnection) -> Option<i32> {
    match diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").get_result::<Progress>(conn) {
        Ok(progress) => Some(progress.log),
        Err(error) => {
            // The committing connections checkpoint at the backstop meanwhile.
            tracing::debug!(%error, "checkpointing the write-ahead log");
            None
        }
    }
}
